"""Engine mechanisms the rule files rely on: `requires` pre-checks, pattern pre-filters, detectors."""

import re

import pytest

from replyscore.model.checker import Checker
from replyscore.model.context import TextContext
from replyscore.model.detectors import find_promises
from replyscore.model.patterns import Pattern
from replyscore.model.report import Match
from replyscore.model.rulebook import Rule, RuleFileError, parse_rule
from replyscore.model.text import Token, analyze, fold
from replyscore.samples import labelled_replies

CHECKER = Checker()
TEXTS = [row["text"] for row in labelled_replies()] + [
    text for rule in CHECKER.rulebook.rules for text in rule.positive_examples + rule.negative_examples
]


def _rule(**extra: object) -> dict[str, object]:
    return {
        "id": "TEST_RULE",
        "category": "EMAIL",
        "severity": "error",
        "description": "d",
        "message": "m",
        "examples": {"positive": ["a", "b", "c"], "negative": ["d", "e", "f"]},
        **extra,
    }


def test_requires_is_folded_and_needs_a_regex() -> None:
    assert parse_rule(_rule(regex="@", requires=["@", "Сайт"]), "t.yaml", ()).requires == ("@", "сайт")
    with pytest.raises(RuleFileError, match="requires"):
        parse_rule(_rule(pattern="сайт", requires=["сайт"]), "t.yaml", ())
    with pytest.raises(RuleFileError, match="requires"):
        parse_rule(_rule(regex="@", requires=[""]), "t.yaml", ())


@pytest.mark.parametrize("rule", [r for r in CHECKER.rulebook.rules if r.requires], ids=lambda r: r.id)
def test_requires_never_hides_a_regex_match(rule: Rule) -> None:
    for text in TEXTS:
        if any(rx.search(text) for rx in rule.regexes):
            assert any(s in fold(text) for s in rule.requires), f"{rule.id}: {text!r}"


def test_pattern_prefilter_is_a_necessary_condition() -> None:
    pattern = Pattern.parse("=не *0-2 =можем|сможем")
    assert pattern.needs == (frozenset({"можем", "сможем"}),)
    assert not pattern.may_match({"не", "хотим"})
    for text in TEXTS:
        for words in _sentences(text):
            present = {t.lemma for t in words} | {t.key for t in words}
            for rule in CHECKER.rulebook.rules:
                for p in rule.patterns:
                    if any(p.match_at(words, i) for i in range(len(words))):
                        assert p.may_match(present), (rule.id, p.source, text)


def _sentences(text: str) -> list[list[Token]]:
    return TextContext(analyze(text)).words


@pytest.mark.parametrize(
    ("text", "promised"),
    [
        ("Заменим товар.", "Заменим"),  # read first as a short adjective
        ("Мы всё исправим.", "исправим"),
        ("Компенсируем часть стоимости.", "Компенсируем"),  # both aspects, listed
        ("Будем разбираться.", "Будем"),
        ("Заказ будет отправлен.", "будет"),
        ("Рекомендуем размер M.", None),  # present tense too
        ("Будем рады помочь.", None),
        ("Мы не обидимся.", None),
        ("Если получим товар, напишем.", "напишем"),
    ],
)
def test_promises(text: str, promised: str | None) -> None:
    rule = next(r for r in CHECKER.rulebook.rules if r.detector == "promise_without_deadline")
    words = _sentences(text)[0]
    found = find_promises(words, frozenset(rule.params["stop"]), frozenset(rule.params["biaspectual"]))
    assert (found[0][0].text if found else None) == promised


@pytest.mark.parametrize(
    ("text", "blamed"),
    [
        ("Доставку делает Ozon. У них курьеры вечно опаздывают.", True),  # "у них" after naming it
        ("Это вина маркетплейса.", True),  # "вина" reads first as a form of "вино"
        ("Компенсация за повреждённую упаковку придёт на счёт Ozon.", False),  # a participle
        ("Курьеры вечно опаздывают. Ozon доставит заказ 5 декабря.", False),
    ],
)
def test_marketplace_blame(text: str, blamed: bool) -> None:
    assert ("COMPETITOR" in CHECKER.check(text).categories) is blamed


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("Пишите в телеграм, там ответим быстрее.", "Пишите в этом чате, там ответим быстрее."),
        ("Напишите нам на почту, пришлём инструкцию.", "Напишите нам в этом чате, пришлём инструкцию."),
        ("Свяжитесь с нами в вотсапе.", "Свяжитесь с нами в этом чате."),
        ("Уточните наличие у менеджера во ВКонтакте.", "Уточните наличие у менеджера в этом чате."),
        ("Подробности на нашем сайте.", "Подробности в этом чате."),
    ],
)
def test_a_prepositional_replacement_takes_the_preposition_before_the_match(text: str, fixed: str) -> None:
    (m,) = [m for m in CHECKER.check(text).matches if m.category == "OFF_PLATFORM"]
    result = text[: m.offset] + m.replacements[0] + text[m.offset + m.length :]
    assert result == fixed
    assert not re.search(r"(?i)(?<!\w)(?:в|во|на)\s+(?:в|во|на)(?!\w)", result)
    assert not [m for m in CHECKER.check(result).matches if m.category == "OFF_PLATFORM"]


PREPOSITION = r"(?:в|во|на|по|через|с)"
DOUBLED = re.compile(rf"(?i)(?<!\w){PREPOSITION}\s+{PREPOSITION}(?!\w)|в этом чате\W+в этом чате")


def _off_platform(text: str) -> list[Match]:
    return [m for m in CHECKER.check(text).matches if m.category == "OFF_PLATFORM"]


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        # Call invitations: the whole invitation, number included, becomes one verb phrase.
        ("Позвоните нам, всё решим.", "Напишите нам в этом чате, всё решим."),
        ("Если остались вопросы, звоните.", "Если остались вопросы, напишите нам в этом чате."),
        ("Наберите нам по номеру 8 800 234-56-78, подскажем.", "Напишите нам в этом чате, подскажем."),
        ("Перезвоните, пожалуйста, менеджеру после обеда.", "Напишите нам в этом чате после обеда."),
        ("Свяжитесь с нами по телефону +7 (495) 120-44-87.", "Напишите нам в этом чате."),
        ("Звоните в вайбер, ответим сразу.", "Напишите нам в этом чате, ответим сразу."),
        ("Перед приездом позвоните 8 (499) 703-11-52.", "Перед приездом напишите нам в этом чате."),
        # A channel after its preposition, with the handle or number that follows it.
        ("Напишите в директ, пришлём фото.", "Напишите в этом чате, пришлём фото."),
        ("Условия возврата на нашем сайте.", "Условия возврата в этом чате."),
        ("Пишите в телеграм @shop_help, ответим.", "Пишите в этом чате, ответим."),
        ("Свяжитесь с нами в любом мессенджере.", "Свяжитесь с нами в этом чате."),
        ("Фото пришлите на WhatsApp 8-926-100-20-30.", "Фото пришлите в этом чате."),
        ("В личку пишите, разберёмся.", "В этом чате пишите, разберёмся."),
        # A bare name, handle or verb: no prepositional phrase fits there, so nothing is offered.
        ("Наш Telegram: @shop_help", None),
        ("Инста: @decor_home, там все новинки.", None),
        ("Можете позвонить нам в рабочее время.", None),
    ],
)
def test_every_off_platform_replacement_reads_as_russian(text: str, fixed: str | None) -> None:
    found = _off_platform(text)
    assert found
    for m in found:  # each suggestion on its own: no "в в этом чате", no "этом чате в этом чате"
        for new in m.replacements:
            assert not DOUBLED.search(text[: m.offset] + new + text[m.end :]), (m.rule["id"], new)
    if fixed is None:
        assert not any(m.replacements for m in found)
        return
    result = text
    inner = [m for m in found if any(o is not m and o.offset <= m.offset and m.end <= o.end for o in found)]
    outer = [m for m in found if m not in inner]
    for m in sorted(outer, key=lambda m: m.offset, reverse=True):  # overlapping ones yield to the widest
        (new,) = m.replacements
        result = result[: m.offset] + new + result[m.end :]
    assert result == fixed
    assert not _off_platform(result)


def test_other_replacements_keep_their_span() -> None:
    (m,) = [m for m in CHECKER.check("Посылка придёт в ПЯТНИЦУ утром.").matches if m.category == "CAPS"]
    assert (m.text, m.replacements) == ("ПЯТНИЦУ", ("пятницу",))

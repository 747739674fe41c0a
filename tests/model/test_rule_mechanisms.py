"""Engine mechanisms the rule files rely on: `requires` pre-checks, pattern pre-filters, detectors."""

import re
from dataclasses import replace

import pytest

from replyscore.model.checker import Checker
from replyscore.model.context import TextContext
from replyscore.model.detectors import find_promises
from replyscore.model.patterns import Pattern, PatternError
from replyscore.model.report import Match
from replyscore.model.rulebook import Rule, Rulebook, RuleFileError, parse_rule
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


def test_words_before_the_context_marker_must_match_but_stay_out_of_the_span() -> None:
    pattern = Pattern.parse("=лучше =вам? > позвонить<INFN> менеджер")
    words = _sentences("Лучше вам позвонить менеджеру.")[0]
    assert [t.text for t, _ in pattern.match_at(words, 0) or []] == ["позвонить", "менеджеру"]
    assert pattern.match_at(_sentences("Нужно позвонить менеджеру.")[0], 0) is None
    for bad in ("> позвонить", "=лучше >", "=лучше > позвонить? менеджер", "=лучше > > позвонить"):
        with pytest.raises(PatternError):
            Pattern.parse(bad)


def test_words_after_the_tail_marker_must_match_but_stay_out_of_the_span() -> None:
    pattern = Pattern.parse("=лучше > позвонить<INFN> менеджер? < =можно")
    words = _sentences("Лучше позвонить менеджеру можно.")[0]
    assert [t.text for t, _ in pattern.match_at(words, 0) or []] == ["позвонить", "менеджеру"]
    assert pattern.match_at(_sentences("Лучше позвонить менеджеру.")[0], 0) is None
    for bad in ("позвонить <", "< =можно", "позвонить *0-2 < =можно", "позвонить < =можно > менеджер"):
        with pytest.raises(PatternError):
            Pattern.parse(bad)


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
DOUBLED = re.compile(
    rf"(?i)(?<!\w){PREPOSITION}\s+{PREPOSITION}(?!\w)|в этом чате\W+в этом чате"
    r"|(?<!\w)(нам|вам)\W+(?:\w+\W+){0,2}\1(?!\w)"  # "Нам можно написать нам ..."
)


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
        ("Перезвоните нам, пожалуйста.", "Напишите нам в этом чате, пожалуйста."),
        ("Наберите нас, подскажем.", "Напишите нам в этом чате, подскажем."),
        # Other forms of the call: the verb of the fix takes the form of the match's first verb.
        ("Можете позвонить нам в рабочее время.", "Можете написать нам в этом чате в рабочее время."),
        ("Можете позвонить по номеру 8 800 234-56-78.", "Можете написать нам в этом чате."),
        ("Можете позвонить нашему менеджеру завтра.", "Можете написать нам в этом чате завтра."),
        ("Позвонить нам можно с 9 до 18.", "Написать нам в этом чате можно с 9 до 18."),
        # The call before its advice, which stays: "позвонить менеджеру можно" -> "написать ... можно".
        ("Позвонить менеджеру можно с 9 до 18.", "Написать нам в этом чате можно с 9 до 18."),
        ("Звонить лучше утром.", "Написать нам в этом чате лучше утром."),
        # Where the number is belongs to the call; a pronoun the sentence has already is not repeated.
        ("Нам можно позвонить по номеру в карточке.", "Нам можно написать в этом чате."),
        ("Позвоните по номеру в карточке товара, подскажем.", "Напишите нам в этом чате, подскажем."),
        ("Мне можно позвонить в любое время.", "Мне можно написать в этом чате в любое время."),
        ("Вы можете нам позвонить по телефону.", "Вы можете написать нам в этом чате."),
        ("Позвоните в поддержку магазина, там подскажут.", "Напишите нам в этом чате, там подскажут."),
        ("Наберите наш номер, подскажем.", "Напишите нам в этом чате, подскажем."),
        # Advice: the call alone is the span, whatever advises it.
        ("Лучше позвонить менеджеру.", "Лучше написать нам в этом чате."),
        ("Вам лучше позвонить в поддержку магазина.", "Вам лучше написать нам в этом чате."),
        ("Советуем вам сразу позвонить в нашу поддержку.", "Советуем вам сразу написать нам в этом чате."),
        ("Рекомендуем набрать наш номер.", "Рекомендуем написать нам в этом чате."),
        ("Можно позвонить в офис продаж.", "Можно написать нам в этом чате."),
        ("Стоит позвонить продавцу напрямую.", "Стоит написать нам в этом чате."),
        ("Лучше всего позвонить нашему менеджеру Ивану.", "Лучше всего написать нам в этом чате."),
        ("Рекомендуем связаться с менеджером по телефону.", "Рекомендуем написать нам в этом чате."),
        ("Нужно позвонить в отдел продаж, там помогут.", "Нужно написать нам в этом чате, там помогут."),
        ("Советуем вам позвонить.", "Советуем вам написать нам в этом чате."),
        ("Лучше позвонить.", "Лучше написать нам в этом чате."),
        ("Лучше позвонить по номеру 8 800 234-56-78.", "Лучше написать нам в этом чате."),
        ("Рекомендуем позвонить менеджеру по номеру на сайте.", "Рекомендуем написать нам в этом чате."),
        ("Советуем вам позвонить менеджеру по номеру в карточке.", "Советуем вам написать нам в этом чате."),
        (
            "Рекомендуем вам позвонить по номеру телефона, указанному на сайте.",
            "Рекомендуем вам написать нам в этом чате.",
        ),
        # The chat or a messenger offered besides the call: the fix takes it in, so the chat comes once.
        ("Можно позвонить или написать в этом чате.", "Можно написать нам в этом чате."),
        ("Можно позвонить или написать нам в любое время.", "Можно написать нам в этом чате в любое время."),
        ("Звоните или пишите, ответим.", "Напишите нам в этом чате, ответим."),
        ("Можно позвонить или написать в WhatsApp.", "Можно написать нам в этом чате."),
        ("Можно позвонить или написать в телеграм @shop_help.", "Можно написать нам в этом чате."),
        # ... and offered before it.
        ("Можно написать в этом чате или позвонить.", "Можно написать нам в этом чате."),
        ("Пишите в чат или звоните.", "Напишите нам в этом чате."),
        ("Напишите нам здесь или позвоните менеджеру.", "Напишите нам в этом чате."),
        ("Нам можно написать или позвонить.", "Нам можно написать в этом чате."),
        ("Пишите в WhatsApp или звоните, ответим.", "Напишите нам в этом чате, ответим."),
        ("Пишите в чат или звоните 8 800 234-56-78.", "Напишите нам в этом чате."),
        (
            "Можно написать нам здесь или позвонить в любое время.",
            "Можно написать нам в этом чате в любое время.",
        ),
        # The seller offers to call: the offer becomes an answer in the chat.
        ("Мы вам перезвоним через час.", "Мы ответим вам в этом чате через час."),
        ("Можем позвонить вам завтра.", "Ответим вам в этом чате завтра."),
        ("Позвоним вам, как только заказ придёт.", "Ответим вам в этом чате, как только заказ придёт."),
        ("Наш менеджер позвонит вам.", "Наш менеджер ответит вам в этом чате."),
        ("Менеджер может вам перезвонить.", "Менеджер ответит вам в этом чате."),
        ("Я перезвоню вам по телефону через 10 минут.", "Я отвечу вам в этом чате через 10 минут."),
        ("Мы готовы позвонить вам в удобное время.", "Мы готовы ответить вам в этом чате в удобное время."),
        ("Мы вас наберём после обеда.", "Мы ответим вам в этом чате после обеда."),
        ("Вам менеджер перезвонит.", "Вам менеджер ответит в этом чате."),
        ("Вам мы перезвоним завтра.", "Вам мы ответим в этом чате завтра."),
        ("Давайте созвонимся и обсудим детали.", "Давайте продолжим общение в этом чате и обсудим детали."),
        ("Можем созвониться с вами завтра.", "Можем продолжить общение в этом чате завтра."),
        ("Мы с вами созвонимся после обеда.", "Мы продолжим общение в этом чате после обеда."),
        # A channel after its preposition, with the handle or number that follows it.
        ("Напишите в директ, пришлём фото.", "Напишите в этом чате, пришлём фото."),
        ("Условия возврата на нашем сайте.", "Условия возврата в этом чате."),
        ("Пишите в телеграм @shop_help, ответим.", "Пишите в этом чате, ответим."),
        ("Свяжитесь с нами в любом мессенджере.", "Свяжитесь с нами в этом чате."),
        ("Фото пришлите на WhatsApp 8-926-100-20-30.", "Фото пришлите в этом чате."),
        ("В личку пишите, разберёмся.", "В этом чате пишите, разберёмся."),
        # Saying where the seller is not stays; the channel invited to after it is replaced.
        ("Мы не отвечаем в Viber, пишите в Telegram @shop.", "Мы не отвечаем в Viber, пишите в этом чате."),
        # A bare name, handle or verb: no prepositional phrase fits there, so nothing is offered.
        ("Наш Telegram: @shop_help", None),
        ("Инста: @decor_home, там все новинки.", None),
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


@pytest.mark.parametrize(
    ("text", "fixed"),
    [
        ("Посылка придёт в ПЯТНИЦУ утром.", "Посылка придёт в пятницу утром."),
        ("ОБЯЗАТЕЛЬНО проверьте заказ.", "Обязательно проверьте заказ."),
        # A span across sentences: each sentence keeps its capital.
        ("ЗАКАЗ ОТПРАВЛЕН. ЖДИТЕ ДОСТАВКУ ЗАВТРА.", "Заказ отправлен. Ждите доставку завтра."),
        ("Спасибо, ЗАКАЗ ОТПРАВЛЕН! ЖДИТЕ ДОСТАВКУ.", "Спасибо, заказ отправлен! Ждите доставку."),
        ("ВНИМАНИЕ!!! ВОЗВРАТ ТОЛЬКО СЕГОДНЯ", "Внимание!!! Возврат только сегодня"),
    ],
)
def test_caps_replacement_keeps_sentence_capitals(text: str, fixed: str) -> None:
    (m,) = [m for m in CHECKER.check(text).matches if m.category == "CAPS"]
    (new,) = m.replacements
    assert text[: m.offset] + new + text[m.end :] == fixed


@pytest.mark.parametrize(
    ("rule_id", "text", "template", "fixed"),
    [
        ("OFF_PLATFORM_CALLBACK", "Мы вам перезвоним.", "{verb:ответить}", "ответим"),
        ("OFF_PLATFORM_CALLBACK", "Наш менеджер позвонит вам.", "{verb:ответить}", "ответит"),
        ("OFF_PLATFORM_CALL", "Позвоните нам.", "{verb:написать}", "Напишите"),  # imperative, not "напишете"
        ("OFF_PLATFORM_CALL", "Можете позвонить нам.", "{verb:написать}", "написать"),
        ("OFF_PLATFORM_CALLBACK", "Мы вам перезвоним.", "{verb:ответ}", None),  # no such verb: dropped
    ],
)
def test_a_verb_slot_takes_the_form_of_the_matched_verb(
    rule_id: str, text: str, template: str, fixed: str | None
) -> None:
    rules = [replace(r, replacements=(template,)) if r.id == rule_id else r for r in CHECKER.rulebook.rules]
    (m,) = [m for m in Checker(Rulebook(rules)).check(text).matches if m.rule["id"] == rule_id]
    assert m.replacements == ((fixed,) if fixed else ())

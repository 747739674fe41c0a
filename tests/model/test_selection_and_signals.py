"""Per-call rule selection and the numeric signals."""

import pytest

from replyscore.model.checker import Checker, InvalidTextError
from replyscore.model.rulebook import RuleSelection, UnknownRuleError

CHECKER = Checker()
TEXT = "Извините, постараемся ответить. Пишите на help@example.com, звоните +7 999 123-45-67."


def categories(selection: RuleSelection) -> set[str]:
    return CHECKER.check(TEXT, selection).categories


def test_default_runs_every_rule() -> None:
    assert {"APOLOGY", "VAGUE", "EMAIL", "PHONE"} <= categories(RuleSelection())


def test_disable_rule_and_category() -> None:
    assert "PHONE" not in categories(RuleSelection.of(disabled=["PHONE_NUMBER"]))
    found = categories(RuleSelection.of(disabled_categories=["APOLOGY", "EMAIL"]))
    assert "APOLOGY" not in found and "EMAIL" not in found and "PHONE" in found


def test_enabled_only() -> None:
    found = categories(
        RuleSelection.of(enabled=["EMAIL_ADDRESS"], enabled_categories=["VAGUE"], enabled_only=True)
    )
    assert found == {"EMAIL", "VAGUE"}


def test_enabling_a_rule_overrides_its_disabled_category() -> None:
    found = categories(RuleSelection.of(enabled=["PHONE_NUMBER"], disabled_categories=["PHONE"]))
    assert "PHONE" in found


@pytest.mark.parametrize(
    ("selection", "named"),
    [
        (RuleSelection.of(enabled=["NOPE_RULE"]), "NOPE_RULE"),
        (RuleSelection.of(disabled=["ALSO_NOT"]), "ALSO_NOT"),
        (RuleSelection.of(enabled_categories=["WHATEVER"]), "WHATEVER"),
    ],
)
def test_unknown_ids_are_errors_that_name_them(selection: RuleSelection, named: str) -> None:
    with pytest.raises(UnknownRuleError, match=named):
        CHECKER.check(TEXT, selection)


def test_signals_do_not_depend_on_selection() -> None:
    full = CHECKER.check(TEXT).signals
    narrowed = CHECKER.check(TEXT, RuleSelection.of(disabled_categories=["APOLOGY"])).signals
    assert full == narrowed
    assert full["apology"]["count"] == 1


def test_negation_density_ignores_commitment_idioms() -> None:
    signals = CHECKER.check(
        "Ответим не позднее 18:00, срок не более 2 дней. Мы не можем вернуть деньги."
    ).signals
    assert signals["negation"]["count"] == 1
    assert signals["negation"]["per_100_words"] == round(100 / signals["words"], 2)


def test_repeated_apologies_escalate() -> None:
    report = CHECKER.check("Извините. Приносим извинения. Просим прощения.")
    severities = [m.rule["severity"] for m in report.matches if m.category == "APOLOGY"]
    assert severities == ["info", "warning", "warning"]
    assert report.signals["apology"]["count"] == 3


def test_promise_with_deadline_in_next_sentence_is_covered() -> None:
    report = CHECKER.check("Мы проверим заказ. Ответ пришлём до 18:00 МСК сегодня.")
    assert "NO_DEADLINE" not in report.categories
    assert report.signals["promises"] == {"count": 2, "without_deadline": 0}


def test_deadline_slot_fills_replacements_and_unfilled_ones_are_dropped() -> None:
    text = "Ответим в ближайшее время."
    plain = next(m for m in CHECKER.check(text).matches if m.category == "VAGUE")
    filled = next(
        m
        for m in CHECKER.check(text, slots={"deadline": "18:00 МСК сегодня"}).matches
        if m.category == "VAGUE"
    )
    assert "до 18:00 МСК сегодня" in filled.replacements
    assert not any("{" in r for r in plain.replacements)


@pytest.mark.parametrize("bad", ["", "   \n\t", None, 42])
def test_invalid_text(bad: object) -> None:
    with pytest.raises(InvalidTextError):
        CHECKER.check(bad)  # type: ignore[arg-type]


def test_rude_signal_counts_rudeness_whatever_the_selection() -> None:
    text = "Сами виноваты, читайте внимательнее. Ваши проблемы."
    full = CHECKER.check(text)
    quiet = CHECKER.check(text, RuleSelection.of(disabled_categories=["RUDE"]))
    assert full.signals["rude"]["count"] == sum(1 for m in full.matches if m.category == "RUDE") >= 2
    assert not quiet.categories & {"RUDE"} and quiet.signals["rude"] == full.signals["rude"]
    assert CHECKER.check("Заказ приедет 5 декабря.").signals["rude"]["count"] == 0

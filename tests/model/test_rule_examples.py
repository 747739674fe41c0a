"""Every example of every rule runs: positives must fire the rule, negatives must not."""

import pytest

from replyscore.model.checker import Checker
from replyscore.model.rulebook import MIN_EXAMPLES

_CHECKER = Checker()
_CASES = [
    pytest.param(rule.id, text, polarity, id=f"{rule.id}-{polarity}-{i}")
    for rule in _CHECKER.rulebook.rules
    if rule.detector != "language_model"  # run with the model in test_language.py
    for polarity, examples in (("positive", rule.positive_examples), ("negative", rule.negative_examples))
    for i, text in enumerate(examples)
]


@pytest.mark.parametrize(("rule_id", "text", "polarity"), _CASES)
def test_rule_example(rule_id: str, text: str, polarity: str) -> None:
    hits = [m for m in _CHECKER.check(text).matches if m.rule["id"] == rule_id]
    if polarity == "positive":
        assert hits, f"{rule_id} should fire on {text!r}"
        for m in hits:
            assert m.text.strip() and text[m.offset : m.offset + m.length] == m.text
    else:
        assert not hits, f"{rule_id} fired on negative example {text!r}: {[m.text for m in hits]}"


def test_every_category_has_a_rule_with_enough_examples() -> None:
    from replyscore.model.categories import CATEGORIES

    covered = {r.category for r in _CHECKER.rulebook.rules}
    assert covered == set(CATEGORIES)
    for rule in _CHECKER.rulebook.rules:
        assert len(rule.positive_examples) >= MIN_EXAMPLES
        assert len(rule.negative_examples) >= MIN_EXAMPLES

"""The served tone: the model's reading, moved towards "negative" when the rules find the reply rude."""

import numpy as np
import pytest

from replyscore.model.checker import Checker
from replyscore.model.scorer import rude_flags, shift_negative_logits, tone_with_rule_evidence

TONE = [
    {"label": "positive", "score": 0.7},
    {"label": "neutral", "score": 0.2},
    {"label": "negative", "score": 0.1},
]


def _negative_log_odds(tone: list[dict]) -> float:
    p = {t["label"]: t["score"] for t in tone}["negative"]
    return float(np.log(p / (1 - p)))


def test_a_rude_reply_gains_the_shift_in_log_odds_of_negative() -> None:
    shifted = tone_with_rule_evidence(TONE, rude=True, shift=3.0)
    assert _negative_log_odds(shifted) == pytest.approx(_negative_log_odds(TONE) + 3.0, abs=2e-3)
    assert sum(t["score"] for t in shifted) == pytest.approx(1.0, abs=1e-3)
    assert [t["label"] for t in shifted] == ["negative", "positive", "neutral"]  # best first
    scores = {t["label"]: t["score"] for t in shifted}
    assert scores["positive"] / scores["neutral"] == pytest.approx(0.7 / 0.2, rel=1e-3)  # ratio kept


def test_no_rudeness_or_no_shift_keeps_the_model_reading() -> None:
    assert tone_with_rule_evidence(TONE, rude=False, shift=3.0) == TONE
    assert tone_with_rule_evidence(TONE, rude=True, shift=0.0) == TONE


def test_the_logit_form_agrees_with_the_probability_form() -> None:
    logits = np.log(np.array([[0.1, 0.2, 0.7], [0.3, 0.3, 0.4]]))  # negative, neutral, positive
    out = shift_negative_logits(logits, np.array([True, False]), 3.0, negative=0)
    probs = np.exp(out) / np.exp(out).sum(axis=1, keepdims=True)
    served = {t["label"]: t["score"] for t in tone_with_rule_evidence(TONE, rude=True, shift=3.0)}
    assert probs[0, 0] == pytest.approx(served["negative"], abs=1e-4)
    assert out[1] == pytest.approx(logits[1])


def test_rude_flags_follow_the_rules() -> None:
    texts = ["Да пошли вы, сами виноваты.", "Заказ приедет 5 декабря, трек-номер в этом чате.", " "]
    assert rude_flags(Checker(), texts).tolist() == [True, False, False]


def test_scorer_serves_the_shifted_tone(language_model, model_scorer) -> None:
    text = "Это ваши проблемы, мы ничего не должны."
    [view] = language_model.analyse([text])
    report = model_scorer.score(text)
    assert report.signals["rude"]["count"] > 0 and language_model.rude_shift > 0
    expected = tone_with_rule_evidence(view.tone, rude=True, shift=language_model.rude_shift)
    assert report.extra["tone"] == expected
    clean = "Спасибо за заказ! Он приедет 5 декабря, трек-номер в этом чате."
    [clean_view] = language_model.analyse([clean])
    assert model_scorer.score(clean).extra["tone"] == tone_with_rule_evidence(clean_view.tone, False, 0.0)

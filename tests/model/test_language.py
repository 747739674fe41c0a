"""The packaged language model: tone in the pipeline shape, vague sentences, windows, selection."""

import pytest

from replyscore.model.rulebook import RuleSelection

RUDE = "Читайте описание внимательнее, это ваши проблемы. Возврата не будет."
WARM = "Спасибо, что написали! Заменим товар бесплатно: курьер привезёт новый завтра с 10:00 до 14:00."


def test_tone_has_the_pipeline_shape(language_model) -> None:
    [view] = language_model.analyse([WARM])
    labels = [t["label"] for t in view.tone]
    assert sorted(labels) == ["negative", "neutral", "positive"]
    scores = [t["score"] for t in view.tone]
    assert scores == sorted(scores, reverse=True)
    assert sum(scores) == pytest.approx(1.0, abs=1e-3)


def test_tone_reads_rude_and_warm_replies(language_model) -> None:
    rude, warm = language_model.analyse([RUDE, WARM])
    assert rude.tone[0]["label"] == "negative"
    assert warm.tone[0]["label"] == "positive"


def _vague_rule(model_scorer):
    return model_scorer.checker.rulebook.by_id["VAGUE_PARAPHRASE"]


def test_vague_paraphrase_examples(model_scorer) -> None:
    rule = _vague_rule(model_scorer)
    for text in rule.positive_examples:
        report = model_scorer.score(text)
        hits = [m for m in report.matches if m.rule["id"] == rule.id]
        vague_any = [m for m in report.matches if m.category == "VAGUE"]
        assert vague_any, f"nothing vague found in {text!r}"
        for m in hits:
            assert m.source == "model" and text[m.offset : m.end] == m.text
    for text in rule.negative_examples:
        report = model_scorer.score(text)
        assert not [m for m in report.matches if m.rule["id"] == rule.id], text


def test_model_vague_matches_follow_the_selection(model_scorer) -> None:
    text = "Ситуация у нас на контроле, держим вас в курсе. Спасибо за терпение."
    found = model_scorer.score(text)
    assert any(m.rule["id"] == "VAGUE_PARAPHRASE" for m in found.matches)
    from replyscore.model.scorer import ScoreRequest

    quiet = model_scorer.score(ScoreRequest(text, selection=RuleSelection.of(disabled=["VAGUE_PARAPHRASE"])))
    assert not any(m.rule["id"] == "VAGUE_PARAPHRASE" for m in quiet.matches)
    assert quiet.signals["vague"]["count"] == found.signals["vague"]["count"]


def test_long_text_is_scored_to_its_end(model_scorer) -> None:
    filler = "Заказ 12345678-0001-1 передан в доставку, курьер привезёт его 3 декабря с 10:00 до 14:00. "
    tail = "Ситуация у нас на контроле, держим вас в курсе."
    text = filler * 300 + tail
    report = model_scorer.score(text)
    assert report.extra["tone"]
    assert any(m.category == "VAGUE" and m.offset >= len(text) - len(tail) - 1 for m in report.matches)


def test_css_uses_tone_and_explains_itself(model_scorer) -> None:
    rude = model_scorer.score(RUDE).extra["css"]
    warm = model_scorer.score(WARM).extra["css"]
    assert warm["score"] > rude["score"]
    assert rude["tone_used"] and any(c["signal"] == "tone_negative" for c in rude["contributions"])
    total = rude["base"] + sum(c["delta"] for c in rude["contributions"])
    assert rude["score"] == pytest.approx(min(5.0, max(1.0, total)), abs=0.02)

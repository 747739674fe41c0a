"""Fitting the served tone's rude_shift with the training objective, on the real packaged model."""

from replyscore.training.config import TrainConfig
from replyscore.training.rule_evidence import SHIFT_GRID, fit_rude_shift, validation_pairs

CALM = ["Заказ приедет 5 декабря, трек-номер в этом чате.", "Спасибо за отзыв, рады, что размер подошёл!"]
RUDE = ["Да пошли вы, заказ приедет 5 декабря.", "Сами виноваты, читайте внимательнее описание."]


def test_rude_texts_read_negative_and_ranked_pairs_ask_for_a_shift(language_model) -> None:
    pairs = list(zip(RUDE, CALM, strict=True))
    fit = fit_rude_shift(
        language_model, RUDE + CALM, ["negative"] * 2 + ["neutral", "positive"], pairs, TrainConfig()
    )
    assert fit["rude_shift"] > 0 and fit["objective_at_fit"] < fit["objective_at_0"]
    assert (fit["texts_found_rude"], fit["pairs_rude_side_found_rude"]) == (2, 2)


def test_rudeness_labelled_positive_keeps_the_shift_at_zero(language_model) -> None:
    cfg = TrainConfig(pair_weight=0.0)
    fit = fit_rude_shift(language_model, RUDE, ["positive", "positive"], [], cfg)
    assert fit["rude_shift"] == SHIFT_GRID[0] == 0.0


def test_validation_pairs_keep_written_pairs_inside_and_add_synthetic_ones() -> None:
    written = [(RUDE[0], CALM[0]), (RUDE[1], "не из этой выборки")]
    pairs = validation_pairs([RUDE[0], CALM[0], CALM[1]], written, seed=13)
    assert pairs[0] == (RUDE[0], CALM[0]) and len(pairs) == 3  # one synthetic pair per other text
    assert written[1] not in pairs and all(rude != calm for rude, calm in pairs)

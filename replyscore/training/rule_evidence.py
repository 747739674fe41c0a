"""The model's `rude_shift`: how far a RUDE rule finding moves the served tone towards "negative".

The encoder reads most rudeness as negative, but not mat in an otherwise cheerful sentence or a
name-calling it rarely saw; the rules know those words. The shift is fitted after training, on the
validation split, with the training objective itself (cross-entropy of the labels plus the ranking
loss that a rude text must read more negative than its calm version by a margin), as a function of
this one number; the encoder and heads stay as trained.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from replyscore.model.checker import Checker
from replyscore.model.language import ReplyLanguageModel
from replyscore.model.scorer import negative_log_odds, rude_flags, shift_negative_logits
from replyscore.training.config import TrainConfig
from replyscore.training.rudeness import synthetic_pairs

SHIFT_GRID = np.round(np.arange(0.0, 8.001, 0.25), 2)


def validation_pairs(
    texts: Sequence[str], written: Sequence[tuple[str, str]], seed: int
) -> list[tuple[str, str]]:
    """The written (rude, calm) pairs inside `texts` and one synthetic pair per other text."""
    inside = set(texts)
    pairs = [(r, c) for r, c in written if r in inside and c in inside]
    rude = {r for r, _ in pairs}
    return pairs + synthetic_pairs([t for t in texts if t not in rude], len(texts), seed)


def fit_rude_shift(
    model: ReplyLanguageModel,
    texts: Sequence[str],
    labels: Sequence[str],
    pairs: Sequence[tuple[str, str]],
    cfg: TrainConfig,
    checker: Checker | None = None,
) -> dict[str, Any]:
    """The grid shift that minimises the training objective on (texts, labels) and `pairs`."""
    checker = checker or Checker()
    negative = model.labels.index("negative")
    logits = model.tone_logits(texts).astype(np.float64)
    flags = rude_flags(checker, texts)
    gold = np.array([model.labels.index(label) for label in labels])
    pair_texts = sorted({t for p in pairs for t in p})
    position = {t: i for i, t in enumerate(pair_texts)}
    pair_logits = model.tone_logits(pair_texts).astype(np.float64)
    pair_flags = rude_flags(checker, pair_texts)
    rude_side = np.array([position[r] for r, _ in pairs], dtype=int)
    calm_side = np.array([position[c] for _, c in pairs], dtype=int)

    def objective(shift: float) -> float:
        z = shift_negative_logits(logits, flags, shift, negative)
        log_probs = z - np.logaddexp.reduce(z, axis=1, keepdims=True)
        cross_entropy = -float(log_probs[np.arange(len(gold)), gold].mean()) if len(gold) else 0.0
        if not pairs or cfg.pair_weight <= 0:
            return cross_entropy
        pz = shift_negative_logits(pair_logits, pair_flags, shift, negative)
        odds = negative_log_odds(pz, negative)
        ranking = float(np.logaddexp(0.0, cfg.pair_margin - (odds[rude_side] - odds[calm_side])).mean())
        return cross_entropy + cfg.pair_weight * ranking

    values = [objective(float(s)) for s in SHIFT_GRID]
    best = float(SHIFT_GRID[int(np.argmin(values))])
    return {
        "rude_shift": best,
        "objective_at_0": round(values[0], 5),
        "objective_at_fit": round(min(values), 5),
        "texts": len(texts),
        "texts_found_rude": int(flags.sum()),
        "pairs": len(pairs),
        "pairs_rude_side_found_rude": int(pair_flags[rude_side].sum()) if len(pairs) else 0,
    }

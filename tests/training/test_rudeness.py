"""Synthetic rude/calm pairs for the ranking loss (training/rudeness.py and rudeness.yaml)."""

from __future__ import annotations

import random
import re
import string

from replyscore.training.rudeness import _vocabulary, rude_variant, synthetic_pairs

CALM = [
    "Заказ приедет 3 декабря.",
    "К сожалению, товар пришёл с царапиной.",
    "Спасибо, всё подошло!",
    "Мы не согласны с вашей оценкой",
]


def test_every_frame_fills_and_keeps_the_calm_text() -> None:
    vocab = _vocabulary()
    slots = {"text", "stem", "lower", "upper", "first", "rest", "plural", "singular", "adjective"}
    slots |= {"interjection", "dismissal"}
    for frame in vocab["frames"]:
        used = {name for _, name, _, _ in string.Formatter().parse(frame) if name}
        assert used and used <= slots, frame
    rng = random.Random(0)
    for text in CALM * 10:
        rude = rude_variant(text, rng)
        assert rude != text and rude[0].isupper()
        # the content stays, in order; rudeness is added
        assert re.search(".*".join(re.findall(r"\w+", text.lower())), rude.lower()), rude


def test_pairs_are_seeded_and_bounded() -> None:
    a = synthetic_pairs(CALM, 3, seed=5)
    assert a == synthetic_pairs(CALM, 3, seed=5) and len(a) == 3
    assert all(calm in CALM and rude != calm for rude, calm in a)
    assert len(synthetic_pairs(CALM, 100, seed=5)) == len(CALM)
    assert synthetic_pairs(CALM, 0, seed=5) == []

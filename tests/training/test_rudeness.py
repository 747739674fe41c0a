"""Synthetic rude/calm pairs for the ranking loss (training/rudeness.py and rudeness.yaml)."""

from __future__ import annotations

import random
import re
import string

from replyscore.training.rudeness import _vocabulary, rude_and_calm, synthetic_pairs

CALM = [
    "Заказ приедет 3 декабря.",
    "К сожалению, товар пришёл с царапиной.",
    "Спасибо, всё подошло!",
    "Мы не согласны с вашей оценкой",
]


def _slots(frame: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(frame) if name}


def _keeps(text: str, variant: str) -> bool:
    """`variant` still says `text`: its words, in order."""
    return re.search(".*".join(re.findall(r"\w+", text.lower())), variant.lower()) is not None


def test_every_frame_fills_and_keeps_the_calm_text() -> None:
    vocab = _vocabulary()
    slots = {"text", "stem", "lower", "upper", "first", "rest", "plural", "singular", "adjective"}
    slots |= {"interjection", "dismissal"}
    for frame in vocab["frames"]:
        assert _slots(frame) and _slots(frame) <= slots, frame
    swap_slots = set(vocab["swaps"])
    for frame in vocab["swap_frames"]:
        assert _slots(frame) & swap_slots and _slots(frame) <= {"text", "stem", "lower"} | swap_slots, frame
    rng = random.Random(0)
    kinds = set()
    for text in CALM * 30:
        rude, calm = rude_and_calm(text, rng)
        assert rude != calm and rude[0].isupper() and calm[0].isupper()
        # the content stays, in order, on both sides; only the manner differs
        assert _keeps(text, rude) and _keeps(text, calm), (rude, calm)
        kinds.add("insert" if calm == text else "swap")
    assert kinds == {"insert", "swap"}


def test_swaps_put_neutral_words_in_place_of_rude_ones() -> None:
    for slot, pairs in _vocabulary()["swaps"].items():
        rude_words = {rude for rude, _ in pairs}
        for rude, calm in pairs:
            assert rude != calm and calm not in rude_words, (slot, rude, calm)


def test_pairs_are_seeded_and_bounded() -> None:
    a = synthetic_pairs(CALM, 3, seed=5)
    assert a == synthetic_pairs(CALM, 3, seed=5) and len(a) == 3
    assert all(calm in CALM and rude != calm for rude, calm in a)
    assert len(synthetic_pairs(CALM, 100, seed=5)) == len(CALM)
    assert synthetic_pairs(CALM, 0, seed=5) == []

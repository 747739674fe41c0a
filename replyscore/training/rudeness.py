"""Synthetic rude/calm pairs: a calm text and the same text with an insult, swearing, a dismissal or
shouting added, or the same complaint added twice, once in rude words and once in the neutral words
a polite rewrite uses (words and frames in rudeness.yaml). The ranking loss on such pairs teaches the tone
model that rudeness itself reads more negative, whatever the text complains about; the written
pairs in data/samples are few and cannot cover the vocabulary of real rude comments."""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Any

import yaml

RUDENESS_FILE = Path(__file__).with_name("rudeness.yaml")
_SLOTS = {"plural": "insults_plural", "singular": "insults_singular"}
_FINAL_PUNCTUATION = re.compile(r"[\s.!?…]+$")


@cache
def _vocabulary() -> dict[str, Any]:
    return yaml.safe_load(RUDENESS_FILE.read_text(encoding="utf-8"))


def rude_and_calm(text: str, rng: random.Random) -> tuple[str, str]:
    """A (rude, calm) pair from `text` by one frame of rudeness.yaml, its slots drawn from `rng`:
    an insertion frame keeps `text` as the calm side, a swap frame fills both sides."""
    vocab = _vocabulary()
    text = text.strip()
    stem = _FINAL_PUNCTUATION.sub("", text)
    first, _, rest = text.partition(" ")
    values = {
        "text": text,
        "first": first,
        "rest": rest,
        "adjective": rng.choice(vocab["adjectives"]),
        "stem": stem,
        "lower": text[:1].lower() + text[1:],
        "upper": stem.upper(),
        **{slot: rng.choice(vocab[key]) for slot, key in _SLOTS.items()},
        "interjection": rng.choice(vocab["interjections"]),
        "dismissal": rng.choice(vocab["dismissals"]),
    }
    swaps = [(slot, rng.choice(pairs)) for slot, pairs in vocab["swaps"].items()]
    frame = rng.choice(vocab["frames"] + vocab["swap_frames"])
    rude = _capitalised(frame.format_map(values | {slot: words[0] for slot, words in swaps}))
    if frame not in vocab["swap_frames"]:
        return rude, text
    return rude, _capitalised(frame.format_map(values | {slot: words[1] for slot, words in swaps}))


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]


def synthetic_pairs(texts: Sequence[str], limit: int, seed: int) -> list[tuple[str, str]]:
    """Up to `limit` (rude, calm) pairs over a seeded sample of `texts`."""
    rng = random.Random(seed)
    chosen = rng.sample(list(texts), min(limit, len(texts)))
    return [rude_and_calm(text, rng) for text in chosen]

"""Synthetic rude/calm pairs: a calm text and the same text with an insult, swearing, a dismissal or
shouting added (words and frames in rudeness.yaml). The ranking loss on such pairs teaches the tone
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


def rude_variant(text: str, rng: random.Random) -> str:
    """`text` made rude by one frame of rudeness.yaml, its slots drawn from `rng`."""
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
    rude = rng.choice(vocab["frames"]).format_map(values)
    return rude[:1].upper() + rude[1:]


def synthetic_pairs(texts: Sequence[str], limit: int, seed: int) -> list[tuple[str, str]]:
    """Up to `limit` (rude variant, calm text) pairs over a seeded sample of `texts`."""
    rng = random.Random(seed)
    chosen = rng.sample(list(texts), min(limit, len(texts)))
    return [(rude_variant(text, rng), text) for text in chosen]

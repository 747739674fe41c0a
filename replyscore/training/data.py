"""Labelled training data: reading CSV/JSONL texts or chats, validating, splitting.

Accepted rows: `{text, label}` (or `tone`) with label negative | neutral | positive (also -1/0/1,
neg/neu/pos), or `{text, rating}` with a 1-5 rating (1-2 negative, 3 neutral, 4-5 positive), or a chat
`{messages: [{role, text}], rating | label}` whose agent messages take the chat's label.
Nothing is dropped silently: every skipped row is counted under a reason.
A row with an `id` may name its own calm rewrite, `{"id": "a", ..., "calmer": "b"}`: such pairs teach the
model that rudeness alone reads more negative (`Dataset.pairs`).
"""

from __future__ import annotations

import csv
import hashlib
import json
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sklearn.model_selection import train_test_split

from replyscore.model.scorer import TONE_LABELS

LABEL_ALIASES = {
    "negative": "negative",
    "neg": "negative",
    "-1": "negative",
    "neutral": "neutral",
    "neu": "neutral",
    "0": "neutral",
    "positive": "positive",
    "pos": "positive",
    "1": "positive",
    "+1": "positive",
}


class TrainingDataError(ValueError):
    pass


@dataclass
class Dataset:
    texts: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)
    ratings: list[float | None] = field(default_factory=list)
    pairs: list[tuple[str, str]] = field(default_factory=list)  # (rude text, its calm rewrite)
    skipped: Counter[str] = field(default_factory=Counter)
    warnings: list[str] = field(default_factory=list)
    sha256: str = ""

    def __len__(self) -> int:
        return len(self.texts)

    def counts(self) -> dict[str, int]:
        return dict(sorted(Counter(self.labels).items()))


def _label_from(row: dict[str, Any]) -> tuple[str | None, float | None, str | None]:
    """(label, rating, problem)"""
    raw_label = row.get("label", row.get("tone"))
    if raw_label not in (None, ""):
        label = LABEL_ALIASES.get(str(raw_label).strip().lower())
        return (label, None, None) if label else (None, None, f"unknown label {raw_label!r}")
    if row.get("rating") not in (None, ""):
        try:
            rating = float(row["rating"])
        except (TypeError, ValueError):
            return None, None, f"rating {row['rating']!r} is not a number"
        if not 1 <= rating <= 5:
            return None, None, f"rating {rating:g} is outside 1-5"
        label = "negative" if rating < 2.5 else "neutral" if rating < 3.5 else "positive"
        return label, rating, None
    return None, None, "no label or rating"


def _rows(path: Path) -> list[dict[str, Any]]:
    raw = path.read_bytes()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise TrainingDataError(f"{path}: not valid UTF-8 (position {exc.start})") from exc
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(content.splitlines())
        columns = set(reader.fieldnames or [])
        if "text" not in columns or not columns & {"label", "rating"}:
            raise TrainingDataError(
                f"{path}: CSV needs a 'text' column and a 'label' or 'rating' column; found {sorted(columns)}"
            )
        return list(reader)
    rows = []
    for number, line in enumerate(content.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
        except json.JSONDecodeError as exc:
            raise TrainingDataError(f"{path}:{number}: invalid JSON ({exc.msg})") from exc
        if not isinstance(item, dict):
            raise TrainingDataError(f"{path}:{number}: expected a JSON object")
        rows.append(item)
    return rows


def _files(path: Path) -> list[Path]:
    if path.is_dir():
        files = sorted([*path.glob("*.jsonl"), *path.glob("*.csv")])
        if not files:
            raise TrainingDataError(f"{path}: no .jsonl or .csv files in this folder")
        return files
    if not path.is_file():
        raise TrainingDataError(f"{path}: no such file")
    return [path]


def read_labelled(path: Path) -> Dataset:
    """Read a CSV/JSONL file, or every such file in a folder."""
    files = _files(Path(path))
    digest = hashlib.sha256()
    for file in files:
        digest.update(file.read_bytes())
    data = Dataset(sha256=digest.hexdigest())
    seen: set[str] = set()
    rows = [row for file in files for row in _rows(file)]
    data.pairs = _calmer_pairs(rows)
    for row in rows:
        label, rating, problem = _label_from(row)
        if problem:
            data.skipped[problem if problem.startswith("no ") else "unknown label or bad rating"] += 1
            continue
        if isinstance(row.get("messages"), list):
            texts = [
                str(m.get("text", ""))
                for m in row["messages"]
                if isinstance(m, dict) and m.get("role") in ("agent", "seller", "operator")
            ]
        else:
            text_field = row.get("text")
            texts = [text_field if isinstance(text_field, str) else ""]
        for text in texts:
            text = text.strip()
            if not text:
                data.skipped["empty text"] += 1
            elif text in seen:
                data.skipped["duplicate text"] += 1
            else:
                seen.add(text)
                data.texts.append(text)
                data.labels.append(label or "")
                data.ratings.append(rating)
    if not data.texts:
        raise TrainingDataError(f"{path}: no usable rows ({_describe(data.skipped)})")
    classes = set(data.labels)
    if len(classes) < 2:
        raise TrainingDataError(f"{path}: only one class ({next(iter(classes))}); need at least two")
    for label in TONE_LABELS:
        n = data.labels.count(label)
        if 0 < n < 5:
            data.warnings.append(f"class {label} has only {n} example(s)")
    if data.skipped:
        data.warnings.append(f"skipped rows: {_describe(data.skipped)}")
    return data


def _calmer_pairs(rows: list[dict[str, Any]]) -> list[tuple[str, str]]:
    by_id = {row["id"]: row for row in rows if isinstance(row.get("id"), str)}
    pairs = []
    for row in rows:
        calm = by_id.get(str(row.get("calmer")))
        if calm is not None and isinstance(row.get("text"), str) and isinstance(calm.get("text"), str):
            pairs.append((row["text"].strip(), calm["text"].strip()))
    return pairs


def _describe(counter: Counter[str]) -> str:
    return ", ".join(f"{n} {reason}" for reason, n in counter.most_common()) or "none"


def split(
    texts: list[str],
    labels: list[str],
    fraction: float,
    seed: int,
    together: Sequence[tuple[str, str]] = (),
) -> tuple[list[str], list[str], list[str], list[str]]:
    """A stratified split: (train texts, held-out texts, train labels, held-out labels). The two
    texts of each `together` pair land on the same side (a rewrite never tests its own original)."""
    unit = list(range(len(texts)))
    index = {t: i for i, t in enumerate(texts)}
    for a, b in together:
        if a in index and b in index:
            unit[index[b]] = unit[index[a]]
    heads = sorted(set(unit))
    head_labels = [labels[h] for h in heads]
    counts = Counter(head_labels)
    stratify = head_labels if min(counts.values()) >= 2 else None
    _, held = train_test_split(heads, test_size=fraction, random_state=seed, stratify=stratify)
    held_set = set(held)
    train = [i for i in range(len(texts)) if unit[i] not in held_set]
    test = [i for i in range(len(texts)) if unit[i] in held_set]
    return (
        [texts[i] for i in train],
        [texts[i] for i in test],
        [labels[i] for i in train],
        [labels[i] for i in test],
    )

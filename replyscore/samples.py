"""Readers of the project's own labelled samples in data/samples, shared by training and eval."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

SAMPLES_DIR = Path(__file__).resolve().parents[1] / "data" / "samples"


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        for number, line in enumerate(fh, start=1):
            if line.strip():
                try:
                    yield json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{number}: {exc.msg}") from exc


def labelled_replies(samples_dir: Path = SAMPLES_DIR) -> list[dict[str, Any]]:
    return list(read_jsonl(samples_dir / "replies.jsonl"))


def tone_replies(samples_dir: Path = SAMPLES_DIR) -> list[dict[str, Any]]:
    return [row for path in sorted((samples_dir / "tone").glob("*.jsonl")) for row in read_jsonl(path)]


def vague_sentences(samples_dir: Path = SAMPLES_DIR) -> list[dict[str, Any]]:
    return list(read_jsonl(samples_dir / "vague_sentences.jsonl"))

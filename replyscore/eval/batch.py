"""Batch scoring of historical replies: input rows -> output rows, resumable, never losing a row.

    replyscore batch INPUT -o OUTPUT [--report report.html] [--rules-only] [--engine local|ray]

Rows are produced in input order, a chunk at a time, and flushed after each chunk; a rerun with the
same OUTPUT skips the ids it already holds. Scoring runs in one process (`LocalEngine`: the scorer's
batched model inference) or on Ray Data (`replyscore.eval.batch_ray.RayEngine`).
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, Protocol, TextIO

from tqdm import tqdm

from replyscore.eval import report_tables
from replyscore.eval.batch_io import Item, RowWriter, done_ids, read_chats, read_items, read_output
from replyscore.eval.report_html import write_report
from replyscore.eval.sla import SlaReport
from replyscore.model.report import Report
from replyscore.model.scorer import Scorer, ScoreRequest

log = logging.getLogger(__name__)
DEFAULT_CHUNK = 64


def error_row(item: Item, error: str) -> dict[str, Any]:
    return {**item.meta(), "error": error}


def report_row(item: Item, report: Report, model: str) -> dict[str, Any]:
    return {**item.meta(), "text": item.text, **report.to_dict(), "model": model}


def request(text: str, customer_message: str | None, created_at: str | None) -> ScoreRequest:
    """Deadlines in replacements count from when the reply was sent (else from now)."""
    return ScoreRequest(text, customer_message, slots={"now": created_at} if created_at else {})


def _score(scorer: Scorer, items: Sequence[Item]) -> list[Report | Exception]:
    requests = [request(str(it.text), it.customer_message, it.created_at) for it in items]
    try:
        return scorer.score_batch(requests)
    except Exception:  # one bad text must not sink its chunk: isolate it
        log.exception("a batch of %d failed; scoring its replies one by one", len(items))
        results: list[Report | Exception] = []
        for one in requests:
            try:
                results.extend(scorer.score_batch([one]))
            except Exception as exc:
                results.append(exc)
        return results


def score_items(scorer: Scorer, items: Sequence[Item]) -> list[dict[str, Any]]:
    """Output rows of items in their order: reports, or errors for malformed and unscorable ones."""
    valid = [it for it in items if it.error is None]
    results = iter(_score(scorer, valid) if valid else [])
    rows = []
    for item in items:
        if item.error is not None:
            rows.append(error_row(item, item.error))
            continue
        result = next(results)
        if isinstance(result, Exception):
            rows.append(error_row(item, str(result) or type(result).__name__))
        else:
            rows.append(report_row(item, result, scorer.version))
    return rows


def chunked(items: Iterable[Item], size: int) -> Iterator[list[Item]]:
    it = iter(items)
    while chunk := list(islice(it, size)):
        yield chunk


class EngineError(RuntimeError):
    """The engine as a whole failed (workers could not start, say); rows written so far are kept."""


class Engine(Protocol):
    def run(self, items: Sequence[Item], chunk_size: int) -> Iterator[list[dict[str, Any]]]:
        """Output rows for the items, in order, a chunk at a time."""
        ...


class LocalEngine:
    """This process: rules, then the model on each chunk as one batch."""

    def __init__(self, scorer: Scorer) -> None:
        self.scorer = scorer

    def run(self, items: Sequence[Item], chunk_size: int) -> Iterator[list[dict[str, Any]]]:
        for chunk in chunked(items, chunk_size):
            yield score_items(self.scorer, chunk)


@dataclass(frozen=True)
class BatchStats:
    rows: int  # rows the input asks for
    skipped: int  # already in OUTPUT
    written: int
    errors: int  # error rows written this run
    seconds: float

    @property
    def rate(self) -> float:
        return self.written / self.seconds if self.seconds else 0.0

    def summary(self) -> str:
        return (
            f"{self.written} rows written ({self.errors} errors), {self.skipped} already done, "
            f"{self.rows} in the input; {self.seconds:.1f} s, {self.rate:.1f} replies/s"
        )


def pending_items(input_path: Path, output_path: Path) -> tuple[list[Item], int, int]:
    """Items not yet in the output (a torn last row is cut off first), the input's row count, skipped."""
    done = done_ids(read_output(output_path, repair=True))
    pending, total = [], 0
    for item in read_items(input_path):
        total += 1
        if done[item.key] > 0:
            done[item.key] -= 1
            continue
        pending.append(item)
    return pending, total, total - len(pending)


def run_batch(
    input_path: Path,
    output_path: Path,
    engine: Engine,
    chunk_size: int = DEFAULT_CHUNK,
    progress: TextIO | None = sys.stderr,
) -> BatchStats:
    pending, total, skipped = pending_items(input_path, output_path)
    written = errors = 0
    start = time.perf_counter()
    bar = tqdm(
        total=len(pending),
        unit="reply",
        file=progress,
        disable=progress is None,
        dynamic_ncols=True,
        smoothing=0.1,
    )
    with bar, RowWriter(output_path) as writer:
        for rows in engine.run(pending, chunk_size):
            writer.write(rows)
            writer.flush()
            written += len(rows)
            errors += sum("error" in r for r in rows)
            bar.update(len(rows))
    return BatchStats(total, skipped, written, errors, time.perf_counter() - start)


def suggestions_for(rows: Sequence[dict[str, Any]], scorer: Scorer) -> dict[str, list[dict[str, Any]]]:
    """Fixes and rewrites (replyscore.model.rewrite.suggest) for scored rows, as of each reply's time."""
    from replyscore.model.rewrite import suggest

    out: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        report = scorer.score(request(row["text"], row.get("customer_message"), row.get("created_at")))
        context = {"customer_message": row.get("customer_message")} if row.get("customer_message") else {}
        try:
            out[str(row["id"])] = suggest(report, context, scorer, row.get("created_at"))
        except Exception:  # the report still shows each finding's replacements
            log.exception("no suggestion for %s", row["id"])
            out[str(row["id"])] = []
    return out


def write_batch_report(
    report_path: Path,
    input_path: Path,
    output_path: Path,
    scorer: Scorer,
    worst_n: int = 20,
    as_of: datetime | None = None,
) -> list[Path]:
    """The HTML report and CSV tables for OUTPUT, with the SLA of INPUT's chats (if any)."""
    rows = read_output(output_path)
    chats = list(read_chats(input_path))
    sla = SlaReport.build(chats, as_of) if chats else None
    suggestions = suggestions_for(report_tables.worst(rows, worst_n), scorer)
    return write_report(report_path, rows, sla, suggestions, worst_n=worst_n, source=str(input_path))

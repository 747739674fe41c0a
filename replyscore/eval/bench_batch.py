"""Throughput of `replyscore batch`, with and without the language model, beside one-at-a-time scoring.

    python -m replyscore.eval.bench_batch [--replies 2000] [--model-replies 512] [--batch-size 64]
                                          [--threads N] [--repeat 3] [--ray]

Input: the agent replies of data/samples/chats.jsonl and data/samples/replies.jsonl, repeated to the
requested count with distinct ids. For rules only and for rules + model it prints replies per second of
(a) the naive baseline, `Scorer.score` one reply at a time, no I/O; (b) `run_batch` end to end with the
local engine (read, score in batches, write JSONL, flush per chunk); with --ray also (c) the Ray engine
on a local instance, over the whole run (actor start-up included) and after its first chunk. Peak
memory (RSS) of the driver closes the run.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

from replyscore.eval.batch import Engine, LocalEngine, run_batch
from replyscore.eval.batch_io import Item, read_items
from replyscore.model.loading import load_scorer
from replyscore.model.scorer import Scorer
from replyscore.samples import SAMPLES_DIR, labelled_replies


def sample_texts() -> list[str]:
    chats = [str(it.text) for it in read_items(SAMPLES_DIR / "chats.jsonl") if it.error is None]
    return chats + [r["text"] for r in labelled_replies()]


def write_input(path: Path, texts: list[str], count: int) -> Path:
    with path.open("w", encoding="utf-8") as fh:
        for i in range(count):
            fh.write(json.dumps({"id": i, "text": texts[i % len(texts)]}, ensure_ascii=False) + "\n")
    return path


def one_at_a_time(scorer: Scorer, texts: list[str], count: int) -> float:
    scorer.score(texts[0])  # warm-up
    start = time.perf_counter()
    for i in range(count):
        scorer.score(texts[i % len(texts)])
    return count / (time.perf_counter() - start)


class FirstChunkTimer:
    """Wraps an engine; notes when its first chunk arrives (after start-up: actors, model loads)."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.first: tuple[float, int] | None = None

    def run(self, items: Sequence[Item], chunk_size: int) -> Iterator[list[dict[str, Any]]]:
        for rows in self.engine.run(items, chunk_size):
            if self.first is None:
                self.first = (time.perf_counter(), len(rows))
            yield rows


def end_to_end(make_engine: Callable[[], Engine], source: Path, batch_size: int) -> tuple[float, float]:
    """Replies per second over the whole run, and after the first chunk."""
    timer = FirstChunkTimer(make_engine())
    with tempfile.TemporaryDirectory() as tmp:
        stats = run_batch(source, Path(tmp) / "out.jsonl", timer, batch_size, progress=None)
        end = time.perf_counter()
    first_at, first_rows = timer.first or (end, 0)
    steady = (stats.written - first_rows) / (end - first_at) if end > first_at else stats.rate
    return stats.rate, steady


def line(label: str, rate: float, baseline: float, steady: float | None = None) -> None:
    after = f"   after the first chunk {steady:.1f} replies/s ({steady / baseline:.2f}x)" if steady else ""
    print(f"  {label:<46}{rate:>9.1f} replies/s  {rate / baseline:>5.2f}x{after}")


def bench(
    title: str,
    scorer: Scorer,
    texts: list[str],
    count: int,
    batch_size: int,
    repeat: int,
    ray_engine: bool,
    rules_only: bool,
) -> None:
    """Best of `repeat` rounds, baseline and local batch alternating (the machine may be shared)."""
    print(f"{title}: {count} replies, best of {repeat}")
    with tempfile.TemporaryDirectory() as tmp:
        source = write_input(Path(tmp) / "in.jsonl", texts, count)
        end_to_end(
            lambda: LocalEngine(scorer), write_input(Path(tmp) / "warm.jsonl", texts, batch_size), batch_size
        )  # lemma caches and model warm, as in a long run
        base = local = 0.0
        for _ in range(repeat):
            base = max(base, one_at_a_time(scorer, texts, count))
            local = max(local, end_to_end(lambda: LocalEngine(scorer), source, batch_size)[0])
        line("baseline: Scorer.score one at a time, no I/O", base, base)
        line(f"batch, local engine, batch size {batch_size}", local, base)
        if ray_engine:
            from replyscore.eval.batch_ray import RayEngine

            workers = os.cpu_count() or 2
            rate, steady = end_to_end(lambda: RayEngine(rules_only, workers=workers), source, batch_size)
            line(f"batch, ray engine, {workers} workers x 1 thread", rate, base, steady)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--replies", type=int, default=2000, help="replies for the rules-only runs")
    parser.add_argument("--model-replies", type=int, default=512, help="replies for the runs with the model")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, help="torch threads for the model (default: torch's)")
    parser.add_argument("--repeat", type=int, default=3, help="rounds; the best is printed")
    parser.add_argument("--ray", action="store_true", help="also time the Ray engine on a local instance")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    texts = sample_texts()
    print(f"{len(texts)} distinct sample replies, {os.cpu_count()} cores")
    if args.ray:
        import ray

        ray.init(include_dashboard=False, log_to_driver=False)
    bench(
        "rules only",
        load_scorer(rules_only=True),
        texts,
        args.replies,
        args.batch_size,
        args.repeat,
        args.ray,
        True,
    )
    start = time.perf_counter()
    try:
        scorer = load_scorer(rules_only=False, threads=args.threads)
    except Exception as exc:
        print(f"rules + model: not measured, the model does not load ({type(exc).__name__}: {exc})")
    else:
        print(f"model {scorer.version} loaded in {time.perf_counter() - start:.1f} s")
        bench(
            "rules + model", scorer, texts, args.model_replies, args.batch_size, args.repeat, args.ray, False
        )
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak memory (RSS) of this process: {peak:.0f} MiB")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

"""Rules-only throughput on data/samples, beside bare pymorphy3 parsing of the same words.

    python -m replyscore.eval.bench_rules [--repeat 3] [--workers 2]

Prints replies per second of: (a) bare pymorphy3 `parse` of every word of every reply (no cache:
the floor any lemma-based engine pays once), (b) the full rule engine in one process (warm lemma
cache, as in a running service), (c) the rule engine over --workers processes.
"""

from __future__ import annotations

import argparse
import os
import time
from concurrent.futures import ProcessPoolExecutor

import pymorphy3
import razdel

from replyscore.model.checker import Checker
from replyscore.samples import labelled_replies, tone_replies

_WORKER_CHECKER: Checker | None = None


def _texts() -> list[str]:
    return [r["text"] for r in labelled_replies()] + [r["text"] for r in tone_replies()]


def _check_chunk(texts: list[str]) -> int:
    global _WORKER_CHECKER
    if _WORKER_CHECKER is None:
        _WORKER_CHECKER = Checker()
    for text in texts:
        _WORKER_CHECKER.check(text)
    return len(texts)


def bench_pymorphy(texts: list[str]) -> float:
    words = [[t.text for t in razdel.tokenize(text)] for text in texts]
    analyzer = pymorphy3.MorphAnalyzer()
    start = time.perf_counter()
    for reply in words:
        for word in reply:
            analyzer.parse(word)
    return len(texts) / (time.perf_counter() - start)


def bench_engine(texts: list[str], repeat: int) -> float:
    checker = Checker()
    for text in texts:  # warm the lemma cache, as a running service has it
        checker.check(text)
    start = time.perf_counter()
    for _ in range(repeat):
        for text in texts:
            checker.check(text)
    return repeat * len(texts) / (time.perf_counter() - start)


def bench_parallel(texts: list[str], repeat: int, workers: int) -> float:
    chunks = [texts[i : i + 200] for i in range(0, len(texts), 200)]
    with ProcessPoolExecutor(workers) as pool:
        list(pool.map(_check_chunk, chunks * workers))  # warm each worker
        start = time.perf_counter()
        done = sum(pool.map(_check_chunk, chunks * repeat))
    return done / (time.perf_counter() - start)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args(argv)
    texts = _texts()
    words = sum(len(list(razdel.tokenize(t))) for t in texts)
    print(f"{len(texts)} replies, {words / len(texts):.1f} tokens per reply, {os.cpu_count()} cores")
    floor = bench_pymorphy(texts)
    single = bench_engine(texts, args.repeat)
    multi = bench_parallel(texts, args.repeat, args.workers)
    print(f"{'bare pymorphy3 parse (baseline)':<42}{floor:>10.0f} replies/s  1.00x")
    print(f"{'rule engine, 1 process, warm cache':<42}{single:>10.0f} replies/s  {single / floor:.2f}x")
    print(f"{f'rule engine, {args.workers} processes':<42}{multi:>10.0f} replies/s  {multi / floor:.2f}x")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

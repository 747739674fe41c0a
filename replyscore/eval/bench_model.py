"""Speed of the full scorer (rules + int8 language model + CSS) beside a naive baseline, in one run.

    python -m replyscore.eval.bench_model [--single 200] [--threads 2] [--batch 64] [--samples tone|replies]

Baseline: plain transformers, fp32 base encoder, one text at a time (tokenise, forward, mean-pool,
tone head). Prints single-reply latency p50/p95/p99, batched throughput, start-up from the cache and
peak resident memory (each measured in a fresh subprocess).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time

import numpy as np

from replyscore.samples import labelled_replies, tone_replies

_STARTUP = """
import json, time
t0 = time.perf_counter()
from replyscore.model.loading import load_scorer
scorer = load_scorer(rules_only={rules_only})
scorer.score("Здравствуйте! Заказ передан в доставку, курьер привезёт его завтра до 14:00.")
hwm = next(line for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({{"seconds": time.perf_counter() - t0, "peak_rss_mb": int(hwm.split()[1]) / 1024}}))
"""


def _percentiles(samples_ms: list[float]) -> dict[str, float]:
    arr = np.asarray(samples_ms)
    return {f"p{q}": round(float(np.percentile(arr, q)), 2) for q in (50, 95, 99)}


def bench_baseline(texts: list[str], single: int) -> dict[str, float]:
    import torch
    from transformers import AutoModel, AutoTokenizer

    from replyscore.model.encoder_cache import E5_PREFIX, build_default_encoder

    path = build_default_encoder()
    tokenizer = AutoTokenizer.from_pretrained(path, local_files_only=True)
    model = AutoModel.from_pretrained(path, local_files_only=True, dtype=torch.float32).eval()
    head = torch.nn.Linear(model.config.hidden_size, 3)

    def one(text: str) -> None:
        with torch.inference_mode():
            enc = tokenizer(E5_PREFIX + text, return_tensors="pt", truncation=True, max_length=512)
            hidden = model(**enc).last_hidden_state
            head(hidden.mean(1)).softmax(-1)

    for text in texts[:10]:
        one(text)
    latencies = []
    for text in texts[:single]:
        start = time.perf_counter()
        one(text)
        latencies.append(1000 * (time.perf_counter() - start))
    return {**_percentiles(latencies), "replies_per_s": round(1000 * len(latencies) / sum(latencies), 1)}


def bench_scorer(texts: list[str], single: int, batch: int, threads: int) -> dict[str, float]:
    from replyscore.model.loading import load_scorer

    scorer = load_scorer(threads=threads)
    for text in texts[:10]:
        scorer.score(text)
    latencies = []
    for text in texts[:single]:
        start = time.perf_counter()
        scorer.score(text)
        latencies.append(1000 * (time.perf_counter() - start))
    start = time.perf_counter()
    for lo in range(0, len(texts), batch):
        scorer.score_batch(texts[lo : lo + batch])
    batched = len(texts) / (time.perf_counter() - start)
    return {
        **_percentiles(latencies),
        "replies_per_s": round(1000 * len(latencies) / sum(latencies), 1),
        "batched_replies_per_s": round(batched, 1),
    }


def startup(rules_only: bool) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _STARTUP.format(rules_only=rules_only)],
        capture_output=True,
        text=True,
        check=True,
    )
    return {k: round(v, 2) for k, v in json.loads(out.stdout.strip().splitlines()[-1]).items()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--single", type=int, default=200, help="texts timed one at a time")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument(
        "--samples",
        choices=("tone", "replies"),
        default="tone",
        help="data/samples texts: tone/*.jsonl, or replies.jsonl (the texts bench_http sends)",
    )
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    texts = [r["text"] for r in (tone_replies() if args.samples == "tone" else labelled_replies())]
    startup(False)  # the first start converts the encoder into the cache when it is missing
    result = {
        "texts": len(texts),
        "threads": args.threads,
        "baseline_fp32_one_at_a_time": bench_baseline(texts, args.single),
        "scorer_int8": bench_scorer(texts, args.single, args.batch, args.threads),
        "startup_from_cache": startup(False),
        "startup_rules_only": startup(True),
    }
    if args.json:
        print(json.dumps(result, indent=1))
        return 0
    base, ours = result["baseline_fp32_one_at_a_time"], result["scorer_int8"]
    print(
        f"{len(texts)} sample replies, {args.threads} threads (torch for the baseline, ONNX Runtime for ours)"
    )
    print(f"{'':<36}{'p50 ms':>8}{'p95 ms':>8}{'p99 ms':>8}{'replies/s':>11}")
    print(
        f"{'baseline: transformers fp32, 1 by 1':<36}{base['p50']:>8}{base['p95']:>8}{base['p99']:>8}"
        f"{base['replies_per_s']:>11}"
    )
    print(
        f"{'replyscore full scorer, 1 by 1':<36}{ours['p50']:>8}{ours['p95']:>8}{ours['p99']:>8}"
        f"{ours['replies_per_s']:>11}"
    )
    print(
        f"{f'replyscore full scorer, batches of {args.batch}':<36}{'':>24}{ours['batched_replies_per_s']:>11}"
    )
    print(
        f"speed-up: p50 {base['p50'] / ours['p50']:.2f}x, batched throughput "
        f"{ours['batched_replies_per_s'] / base['replies_per_s']:.2f}x the baseline"
    )
    s = result["startup_from_cache"]
    print(
        f"start from cache to first report: {s['seconds']} s, peak RSS {s['peak_rss_mb']} MB "
        f"(rules only: {result['startup_rules_only']['seconds']} s, "
        f"{result['startup_rules_only']['peak_rss_mb']} MB)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

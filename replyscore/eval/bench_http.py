"""HTTP latency and throughput of the scoring service, micro-batched and not, in one run.

    python -m replyscore.eval.bench_http [--clients 16] [--requests 300] [--concurrent-requests 2000]

For each configuration it starts the service (uvicorn, 127.0.0.1, a free port) in a process of its
own, waits for /readyz, warms it up, then drives POST /v1/score with the project's sample replies:
one client one request at a time, then --clients clients at once (closed loop, keep-alive). Every
scenario stops at its request count or --max-seconds, whichever comes first. The configurations:
"micro-batched" (--batch-max-size, --batch-max-wait-ms; the int8 model) and the naive baseline "one
at a time, fp32" (batch_max_size=1: each request is its own model call, on the torch fp32 encoder).
--env / --baseline-env pass REPLYSCORE_* settings to both or to the baseline only (a model path, say).
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from replyscore.samples import labelled_replies

SERVER_CODE = "from replyscore.serving.app import run; run()"
HEADERS = {"Content-Type": "application/json"}


@dataclass(frozen=True)
class Server:
    host: str
    port: int
    pid: int
    startup_s: float


@dataclass(frozen=True)
class Result:
    config: str
    clients: int
    latencies_ms: list[float]
    statuses: dict[int, int]
    wall_s: float
    mean_batch: float

    def summary(self) -> dict[str, object]:
        lat = self.latencies_ms
        q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else lat * 99
        return {
            "clients": self.clients,
            "requests": len(lat),
            "p50_ms": round(q[49], 2),
            "p95_ms": round(q[94], 2),
            "p99_ms": round(q[98], 2),
            "replies_per_s": round(self.statuses.get(200, 0) / self.wall_s, 1),
            "mean_batch": round(self.mean_batch, 2),
            "not_200": {str(code): n for code, n in sorted(self.statuses.items()) if code != 200},
        }

    def row(self) -> list[str]:
        s = self.summary()
        others = ", ".join(f"{n}×{code}" for code, n in sorted(self.statuses.items()) if code != 200) or "-"
        return [
            self.config,
            str(self.clients),
            str(s["requests"]),
            f"{s['p50_ms']:.1f}",
            f"{s['p95_ms']:.1f}",
            f"{s['p99_ms']:.1f}",
            f"{s['replies_per_s']:.0f}",
            f"{self.mean_batch:.1f}",
            others,
        ]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _get(host: str, port: int, path: str) -> tuple[int, str]:
    conn = http.client.HTTPConnection(host, port, timeout=10)
    try:
        conn.request("GET", path)
        response = conn.getresponse()
        return response.status, response.read().decode()
    finally:
        conn.close()


@contextmanager
def serve(env: dict[str, str], timeout_s: float = 600) -> Iterator[Server]:
    host, port = "127.0.0.1", _free_port()
    settings = {"REPLYSCORE_HOST": host, "REPLYSCORE_PORT": str(port), "REPLYSCORE_LOG_LEVEL": "warning"}
    full_env = {**os.environ, "HF_HUB_OFFLINE": "1", **env, **settings}
    with tempfile.TemporaryFile() as log:  # not a pipe: a chatty server must never block on a full one
        start = time.perf_counter()
        proc = subprocess.Popen([sys.executable, "-c", SERVER_CODE], env=full_env, stdout=log, stderr=log)
        try:
            while (status := _readiness(host, port))[0] != 200:
                if (
                    proc.poll() is not None
                    or '"failed"' in status[1]
                    or time.perf_counter() - start > timeout_s
                ):
                    log.seek(0)
                    output = log.read().decode(errors="replace")[-4000:]
                    raise RuntimeError(f"the server did not get ready: {status[1]}\n{output}")
                time.sleep(0.05)
            yield Server(host, port, proc.pid, time.perf_counter() - start)
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()


def _readiness(host: str, port: int) -> tuple[int, str]:
    try:
        return _get(host, port, "/readyz")
    except OSError:
        return 0, ""


def peak_rss_mb(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    return int(found.group(1)) / 1024 if found else None


def batch_totals(server: Server) -> tuple[float, float]:
    """(texts, batches) the model has scored so far, from /metrics."""
    text = _get(server.host, server.port, "/metrics")[1]
    total = re.search(r"^replyscore_model_batch_size_sum (\S+)$", text, re.M)
    count = re.search(r"^replyscore_model_batch_size_count (\S+)$", text, re.M)
    return (float(total.group(1)) if total else 0.0, float(count.group(1)) if count else 0.0)


def drive(
    server: Server, bodies: Sequence[bytes], clients: int, requests: int, max_s: float
) -> tuple[list[float], dict[int, int], float]:
    """Closed loop: each client sends its next request when the last one is answered."""
    lock = threading.Lock()
    issued = 0
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    deadline = time.perf_counter() + max_s

    def client() -> None:
        nonlocal issued
        conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
        while True:
            with lock:
                if issued >= requests or time.perf_counter() > deadline:
                    break
                body = bodies[issued % len(bodies)]
                issued += 1
            start = time.perf_counter()
            try:
                conn.request("POST", "/v1/score", body, HEADERS)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(server.host, server.port, timeout=60)
                status = 0
            elapsed_ms = (time.perf_counter() - start) * 1000
            with lock:
                latencies.append(elapsed_ms)
                statuses[status] = statuses.get(status, 0) + 1
        conn.close()

    threads = [threading.Thread(target=client) for _ in range(clients)]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return latencies, statuses, time.perf_counter() - start


def run_config(
    name: str, env: dict[str, str], bodies: Sequence[bytes], args: argparse.Namespace
) -> tuple[list[Result], Server, float | None]:
    with serve(env) as server:
        drive(server, bodies, 1, args.warmup, args.max_seconds)
        results = []
        for clients, requests in ((1, args.requests), (args.clients, args.concurrent_requests)):
            texts_before, batches_before = batch_totals(server)
            latencies, statuses, wall = drive(server, bodies, clients, requests, args.max_seconds)
            texts, batches = batch_totals(server)
            mean_batch = (texts - texts_before) / max(1.0, batches - batches_before)
            results.append(Result(name, clients, latencies, statuses, wall, mean_batch))
        return results, server, peak_rss_mb(server.pid)  # read while the server still runs


def _settings_env(pairs: Sequence[str]) -> dict[str, str]:
    env = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key.startswith("REPLYSCORE_"):
            raise SystemExit(f"--env wants REPLYSCORE_NAME=VALUE, not {pair!r}")
        env[key] = value
    return env


def table(rows: list[list[str]]) -> str:
    header = [
        "config",
        "clients",
        "requests",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "replies/s",
        "mean batch",
        "not 200",
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients in the loaded scenario")
    parser.add_argument("--requests", type=int, default=300, help="requests with one client")
    parser.add_argument("--concurrent-requests", type=int, default=2000, help="requests with many clients")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured requests first")
    parser.add_argument("--max-seconds", type=float, default=30, help="time cap of each scenario")
    parser.add_argument("--batch-max-size", type=int, default=32)
    parser.add_argument("--batch-max-wait-ms", type=float, default=2.0)
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="REPLYSCORE_X=V",
        help="a setting for both configurations",
    )
    parser.add_argument(
        "--baseline-env",
        action="append",
        default=[],
        metavar="REPLYSCORE_X=V",
        help="a setting for the baseline only",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args(argv)

    bodies = [json.dumps({"text": r["text"]}, ensure_ascii=False).encode() for r in labelled_replies()]
    shared = _settings_env(args.env)
    configs = [
        (
            "micro-batched",
            {
                **shared,
                "REPLYSCORE_BATCH_MAX_SIZE": str(args.batch_max_size),
                "REPLYSCORE_BATCH_MAX_WAIT_MS": str(args.batch_max_wait_ms),
            },
        ),
        (
            "one at a time, fp32",
            {
                **shared,
                "REPLYSCORE_MODEL_RUNTIME": "fp32",
                "REPLYSCORE_BATCH_MAX_SIZE": "1",
                "REPLYSCORE_BATCH_MAX_WAIT_MS": "0",
                **_settings_env(args.baseline_env),
            },
        ),
    ]
    rows: list[list[str]] = []
    notes: list[str] = []
    report = []
    for name, env in configs:
        results, server, rss = run_config(name, env, bodies, args)
        print(f"{name}: done", file=sys.stderr)
        rows += [r.row() for r in results]
        memory = f"{rss:.0f} MB" if rss is not None else "n/a"
        notes.append(f"{name}: ready {server.startup_s:.2f} s after launch, peak memory (RSS) {memory}")
        report.append(
            {
                "config": name,
                "env": env,
                "startup_s": round(server.startup_s, 2),
                "peak_rss_mb": rss,
                "scenarios": [r.summary() for r in results],
            }
        )
    mean_bytes = statistics.mean(len(b) for b in bodies)
    print(
        f"POST /v1/score, {len(bodies)} sample replies (mean {mean_bytes:.0f} bytes), "
        f"{os.cpu_count()} CPUs, client and server on this machine"
    )
    print(table(rows))
    print("\n".join(notes))
    if args.json:
        args.json.write_text(json.dumps(report, indent=2, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())

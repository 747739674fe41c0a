"""Schemathesis against the live OpenAPI document: no 5xx, and every answer conforms to the schema.

Every check runs except positive_data_acceptance: some valid-looking requests are rightly refused by
rules a schema cannot state (give `text` or `data` but not both; rule ids known only at run time).
"all" would bound response times at 10 s; the bound here is the request timeout, as speed is measured
by the benchmarks in eval/, not by tests.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from serving_helpers import KEYS, LiveServer


def schemathesis(server: LiveServer, workdir: Path, *extra: str) -> None:
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        "run",
        f"{server.url}/openapi.json",
        "--checks",
        "all",
        "--exclude-checks",
        "positive_data_acceptance",
        "--max-response-time",
        "30",  # = the request timeout: no timed assertion beyond "it answers"
        "--phases",
        "examples,coverage,fuzzing",
        "--max-examples",
        "50",
        "--seed",
        "20240601",
        "--request-timeout",
        "30",
        *extra,
    ]
    # cwd: a scratch folder, for the hypothesis database it writes
    done = subprocess.run(command, cwd=workdir, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-6000:] + done.stderr[-2000:]


def test_live_schema(live: LiveServer, tmp_path: Path) -> None:
    schemathesis(live, tmp_path, "--workers", "2")


def test_guarded_schema(guarded: LiveServer, tmp_path: Path) -> None:
    # one worker: this server's queue holds a single text, and overload is tested elsewhere
    schemathesis(guarded, tmp_path, "--workers", "1", "--header", f"X-API-Key: {KEYS[0]}")

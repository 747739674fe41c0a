"""Starting real servers for the serving tests: `replyscore serve` in a subprocess, or uvicorn in a thread."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import uvicorn
from starlette.types import ASGIApp

from replyscore.serving.settings import Settings

START_TIMEOUT_S = 300  # the first start may convert the encoder into the cache
KEYS = ("key-one-7f3a", "key-two-91bc")
ADMIN_KEY = "admin-5d2e"


@dataclass(frozen=True)
class LiveServer:
    url: str
    log: Path
    pid: int


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _environment(settings: dict[str, str]) -> dict[str, str]:
    ours = {f"REPLYSCORE_{name.upper()}" for name in Settings.model_fields}
    env = {k: v for k, v in os.environ.items() if k not in ours}  # the caller's settings must not leak in
    return {**env, "HF_HUB_OFFLINE": "1", **{f"REPLYSCORE_{k.upper()}": v for k, v in settings.items()}}


def _wait_ready(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"the server exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        try:
            if httpx.get(f"{url}/readyz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    pytest.fail(f"the server was not ready after {START_TIMEOUT_S} s:\n{log.read_text(errors='replace')}")


def start_server(workdir: Path, name: str, settings: dict[str, str]) -> Iterator[LiveServer]:
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    log = workdir / f"{name}.log"
    command = [sys.executable, "-c", "import sys; from replyscore.cli import main; sys.exit(main())", "serve"]
    env = _environment({"host": "127.0.0.1", "port": str(port), **settings})
    with log.open("wb") as out:  # cwd: an empty folder, so no .env is read
        proc = subprocess.Popen(command, cwd=workdir, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        _wait_ready(proc, url, log)
        yield LiveServer(url, log, proc.pid)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def serve_in_thread(app: ASGIApp) -> Iterator[str]:
    """uvicorn on a free port in this process (for apps built with a custom scorer factory)."""
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=15)

"""Swapping the model of a running service (POST /v1/admin/reload, SIGHUP) without dropping requests."""

from __future__ import annotations

import json
import os
import shutil
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from serving_helpers import ADMIN_KEY, LiveServer, start_server

from replyscore.model.language import DEFAULT_MODEL_DIR, META_FILE


def model_copy(root: Path, version: str) -> Path:
    target = root / "model-copy"
    if not target.exists():
        shutil.copytree(DEFAULT_MODEL_DIR, target)
    meta = json.loads((target / META_FILE).read_text(encoding="utf-8"))
    meta["version"] = version
    (target / META_FILE).write_text(json.dumps(meta), encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[LiveServer, Path]]:
    workdir = tmp_path_factory.mktemp("reload")
    yield from ((s, workdir) for s in start_server(workdir, "reload", {"admin_key": ADMIN_KEY}))


def version(client: httpx.Client) -> str:
    return str(client.get("/readyz").json()["model_version"])


def test_reload_swaps_the_model_while_requests_keep_flowing(server: tuple[LiveServer, Path]) -> None:
    live, workdir = server
    admin = {"X-API-Key": ADMIN_KEY}
    with httpx.Client(base_url=live.url, timeout=120) as client:
        before = version(client)
        statuses: list[int] = []
        stop = threading.Event()

        def traffic() -> None:
            with httpx.Client(base_url=live.url, timeout=120) as c:
                while not stop.is_set():
                    statuses.append(
                        c.post("/v1/score", json={"text": "Постараемся ответить скоро."}).status_code
                    )

        thread = threading.Thread(target=traffic)
        thread.start()
        try:
            path = model_copy(workdir, "tone-test-copy-1")
            answer = client.post("/v1/admin/reload", json={"model_path": str(path)}, headers=admin)
        finally:
            time.sleep(0.5)
            stop.set()
            thread.join()
        assert answer.status_code == 200, answer.text
        assert answer.json()["previous_version"] == before
        assert answer.json()["model_version"] == "tone-test-copy-1" == version(client)
        assert statuses and set(statuses) == {200}
        assert 'version="tone-test-copy-1"' in client.get("/metrics", headers=admin).text

        model_copy(workdir, "tone-test-copy-2")  # SIGHUP reloads the current model directory
        os.kill(live.pid, signal.SIGHUP)
        deadline = time.monotonic() + 120
        while version(client) != "tone-test-copy-2" and time.monotonic() < deadline:
            time.sleep(0.2)
        assert version(client) == "tone-test-copy-2"


def test_reload_needs_the_admin_key_and_a_real_folder(server: tuple[LiveServer, Path]) -> None:
    live, workdir = server
    with httpx.Client(base_url=live.url, timeout=60) as client:
        assert client.post("/v1/admin/reload").status_code == 401
        assert client.post("/v1/admin/reload", headers={"X-API-Key": "wrong"}).status_code == 401
        bad = client.post(
            "/v1/admin/reload", json={"model_path": str(workdir / "nope")}, headers={"X-API-Key": ADMIN_KEY}
        )
        assert bad.status_code == 422 and "not a directory" in bad.json()["detail"]
        broken = workdir / "broken-model"
        broken.mkdir(exist_ok=True)
        failed = client.post(
            "/v1/admin/reload", json={"model_path": str(broken)}, headers={"X-API-Key": ADMIN_KEY}
        )
        assert failed.status_code == 422 and "previous model keeps serving" in failed.json()["detail"]
        assert client.get("/readyz").status_code == 200

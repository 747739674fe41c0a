"""`--engine ray`: the same rows as the local engine, through Ray Data on a local Ray instance."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from replyscore.eval.batch import LocalEngine, run_batch
from replyscore.model.scorer import Scorer

ray = pytest.importorskip(
    "ray", reason="Ray Data is the optional extra 'ray' (pip install 'replyscore[ray]')"
)
SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"


@pytest.fixture(scope="module")
def local_ray() -> Iterator[None]:
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def small_input(path: Path) -> Path:
    """40 chats of the sample file plus two malformed rows."""
    lines = (SAMPLES / "chats.jsonl").read_text(encoding="utf-8").splitlines()[:40]
    lines[5:5] = ["{broken", json.dumps({"chat_id": "bad", "messages": []})]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_ray_engine_writes_what_the_local_engine_writes(local_ray: None, tmp_path: Path) -> None:
    from replyscore.eval.batch_ray import RayEngine

    source = small_input(tmp_path / "chats.jsonl")
    local, remote = tmp_path / "local.jsonl", tmp_path / "ray.jsonl"
    run_batch(source, local, LocalEngine(Scorer()), chunk_size=16, progress=None)
    engine = RayEngine(rules_only=True, workers=2)
    stats = run_batch(source, remote, engine, chunk_size=16, progress=None)
    assert stats.errors == 2 and stats.written > 60
    assert remote.read_bytes() == local.read_bytes()

    # resuming through Ray: drop the last half of the rows and rerun
    lines = remote.read_bytes().splitlines(keepends=True)
    remote.write_bytes(b"".join(lines[: len(lines) // 2]))
    stats = run_batch(source, remote, engine, chunk_size=16, progress=None)
    assert stats.skipped == len(lines) // 2
    assert remote.read_bytes() == local.read_bytes()

"""Real servers on 127.0.0.1, one per configuration, started once per session when a test asks for one."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from serving_helpers import ADMIN_KEY, KEYS, LiveServer, start_server


@pytest.fixture(scope="session")
def live(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Default limits, no keys; batches wait 10 ms for company so micro-batching shows."""
    yield from start_server(
        tmp_path_factory.mktemp("live"), "live", {"batch_max_wait_ms": "10", "log_level": "warning"}
    )


@pytest.fixture(scope="session")
def rules_only(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """Rules only (no language model: starts in a second), default limits, no keys."""
    yield from start_server(
        tmp_path_factory.mktemp("rules-only"), "rules-only", {"rules_only": "true", "log_level": "warning"}
    )


@pytest.fixture(scope="session")
def guarded(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """API keys, an admin key, tiny limits and a one-text queue; access log on."""
    yield from start_server(
        tmp_path_factory.mktemp("guarded"),
        "guarded",
        {
            "api_keys": ",".join(KEYS),
            "admin_key": ADMIN_KEY,
            "max_body_bytes": "4096",
            "max_text_chars": "300",
            "max_batch_items": "3",
            "batch_max_size": "1",
            "batch_max_wait_ms": "0",
            "queue_max": "1",
            "log_level": "info",
        },
    )


@pytest.fixture
def client(live: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=live.url, timeout=30) as c:
        yield c

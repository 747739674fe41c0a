"""Start-up and model failures: the model loads in the background (/healthz answers at once, /readyz
says 503 until it is loaded), and a text that breaks the model fails only its own request."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Sequence
from typing import Any

import httpx
from serving_helpers import serve_in_thread

from replyscore.model.report import Report
from replyscore.model.scorer import Scorer, ScoreRequest
from replyscore.serving.app import create_app
from replyscore.serving.settings import Settings


def settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]  # _env_file: a pydantic-settings init option


def status_after_loading(client: httpx.Client, timeout_s: float = 120) -> httpx.Response:
    deadline = time.monotonic() + timeout_s
    while (ready := client.get("/readyz")).json()["status"] == "loading" and time.monotonic() < deadline:
        time.sleep(0.02)
    return ready


def test_not_ready_until_the_model_is_loaded() -> None:
    gate = threading.Event()

    def slow_scorer(_: Settings) -> Scorer:
        gate.wait(30)
        return Scorer()

    with serve_in_thread(create_app(settings(), slow_scorer)) as url, httpx.Client(base_url=url) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and ready.headers["retry-after"] == "1"
        assert ready.json() == {"status": "loading"}
        busy = client.post("/v1/score", json={"text": "Добрый день"})
        assert busy.status_code == 503 and busy.json()["detail"] == "the model is loading"
        assert client.post("/v2/check", data={"text": "Добрый день", "language": "ru"}).status_code == 503
        assert "replyscore_model_ready 0.0" in client.get("/metrics").text
        gate.set()
        ready = status_after_loading(client)
        assert ready.status_code == 200 and ready.json()["status"] == "ready"
        assert client.post("/v1/score", json={"text": "Добрый день"}).status_code == 200


def test_a_model_that_fails_to_load_keeps_the_service_unready() -> None:
    def broken(_: Settings) -> Scorer:
        raise FileNotFoundError("no model in /nowhere")

    with serve_in_thread(create_app(settings(), broken)) as url, httpx.Client(base_url=url) as client:
        ready = status_after_loading(client)
        assert ready.status_code == 503
        assert ready.json() == {"status": "failed", "detail": "FileNotFoundError: no model in /nowhere"}
        r = client.post("/v1/score", json={"text": "Добрый день"})
        assert r.status_code == 503 and "no model in /nowhere" in r.json()["detail"]
        assert client.get("/healthz").status_code == 200


def test_a_model_path_that_cannot_be_loaded_is_reported() -> None:
    with (
        serve_in_thread(create_app(settings(model_path="/nowhere"))) as url,
        httpx.Client(base_url=url) as client,
    ):
        assert status_after_loading(client).json()["status"] == "failed"


class FragileScorer(Scorer):
    """Breaks on any batch holding the word BOOM, as a model might on one pathological text."""

    def score_batch(self, requests: Sequence[ScoreRequest | str]) -> list[Report | Exception]:
        if any("BOOM" in (r if isinstance(r, str) else r.text) for r in requests):
            raise RuntimeError("the model broke")
        return super().score_batch(requests)


def test_a_text_that_breaks_the_model_fails_only_its_own_request() -> None:
    app = create_app(settings(batch_max_wait_ms=200), lambda _: FragileScorer())

    async def together(url: str) -> list[int]:
        async with httpx.AsyncClient(base_url=url, timeout=30) as client:
            texts = ["Добрый день", "BOOM", "Ответим до 18:00", "Спасибо"]
            responses = await asyncio.gather(*(client.post("/v1/score", json={"text": t}) for t in texts))
        return [r.status_code for r in responses]

    with serve_in_thread(app) as url:
        with httpx.Client(base_url=url) as client:
            status_after_loading(client)
        assert asyncio.run(together(url)) == [200, 500, 200, 200]

"""API keys, body and text limits, and load shedding, against a real server with tiny limits."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import httpx
import pytest
from serving_helpers import ADMIN_KEY, KEYS, LiveServer

# ~290 characters with something for many rules, so each takes the model a while.
BUSY_TEXT = (
    "ЗДРАВСТВУЙТЕ!!! Извините, извините, постараемся решить в ближайшее время, не переживайте. "
    "Пишите в WhatsApp +7 999 123-45-67 или на shop@example.com, скидка 20% по ссылке "
    "https://example.com 😀 Отмените заказ, пожалуйста, и оформите заново. Мы проверим и ответим."
)


@pytest.fixture
def anon(guarded: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=guarded.url, timeout=30) as c:
        yield c


@pytest.fixture
def authed(guarded: LiveServer) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=guarded.url, timeout=30, headers={"X-API-Key": KEYS[1]}) as c:
        yield c


def test_busy_text_fits_the_limit() -> None:
    assert 250 < len(BUSY_TEXT) <= 300


def test_keys_are_required(anon: httpx.Client) -> None:
    r = anon.post("/v1/score", json={"text": "Добрый день"})
    assert r.status_code == 401 and "X-API-Key" in r.json()["detail"]
    r = anon.post("/v1/score", json={"text": "Добрый день"}, headers={"X-API-Key": "key-one-7f3b"})
    assert r.status_code == 401
    assert (
        anon.get("/v1/rules", headers=[(b"X-API-Key", "ключ".encode())]).status_code == 401
    )  # non-ASCII: still 401
    for key in (*KEYS, ADMIN_KEY):
        assert (
            anon.post("/v1/score", json={"text": "Добрый день"}, headers={"X-API-Key": key}).status_code
            == 200
        )


def test_languagetool_api_takes_the_key_as_a_parameter(anon: httpx.Client) -> None:
    form = {"text": "Добрый день", "language": "ru-RU"}
    r = anon.post("/v2/check", data=form)
    assert r.status_code == 401 and r.headers["content-type"].startswith("text/plain")
    assert anon.post("/v2/check", data={**form, "apiKey": KEYS[0]}).status_code == 200
    assert anon.post("/v2/check", data=form, headers={"X-API-Key": KEYS[0]}).status_code == 200
    assert anon.get("/v2/languages").status_code == 200  # public, as LanguageTool's is


def test_probes_are_open_and_metrics_need_the_admin_key(anon: httpx.Client) -> None:
    assert anon.get("/healthz").status_code == 200
    assert anon.get("/readyz").status_code == 200
    assert anon.get("/metrics").status_code == 401
    assert anon.get("/metrics", headers={"X-API-Key": KEYS[0]}).status_code == 401
    assert anon.get("/metrics", headers={"X-API-Key": ADMIN_KEY}).status_code == 200
    assert anon.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_KEY}"}).status_code == 200


def test_openapi_documents_the_keys(anon: httpx.Client) -> None:
    schema = anon.get("/openapi.json").json()
    assert "APIKeyHeader" in schema["components"]["securitySchemes"]
    assert schema["paths"]["/v1/score"]["post"]["security"] == [{"APIKeyHeader": []}]
    assert schema["paths"]["/v2/check"]["post"]["security"] == [{"APIKeyHeader": []}]
    assert schema["components"]["schemas"]["ScoreRequest"]["properties"]["text"]["maxLength"] == 300


def test_body_too_large(authed: httpx.Client) -> None:
    r = authed.post("/v1/score", json={"text": "а" * 5000})
    assert r.status_code == 413 and "4096 bytes" in r.json()["detail"]

    def chunks() -> Iterator[bytes]:  # no Content-Length: the limit still holds
        yield b'{"text": "'
        for _ in range(10):
            yield b"x" * 1000
        yield b'"}'

    r = authed.post("/v1/score", content=chunks(), headers={"content-type": "application/json"})
    assert r.status_code == 413
    r = authed.post("/v2/check", data={"text": "а" * 3000, "language": "ru"})
    assert r.status_code == 413 and r.text.startswith("Error: ")


def test_text_too_long(authed: httpx.Client) -> None:
    r = authed.post("/v1/score", json={"text": "а" * 301})
    assert r.status_code == 422 and r.json()["detail"] == "text is 301 characters long; the limit is 300"
    r = authed.post("/v2/check", data={"text": "а" * 301, "language": "ru"})
    assert r.status_code == 413 and "limit is 300" in r.text
    r = authed.post(
        "/v1/score/batch", json={"items": [{"id": 1, "text": "а" * 301}, {"id": 2, "text": "Добрый день"}]}
    )
    assert r.status_code == 200
    assert r.json()["items"][0]["error"]["type"] == "text_too_long" and "report" in r.json()["items"][1]


def test_batch_item_limit(authed: httpx.Client) -> None:
    r = authed.post("/v1/score/batch", json={"items": [{"text": "Добрый день"}] * 4})
    assert r.status_code == 422 and "limit is 3" in r.json()["detail"]


async def _burst(url: str, n: int) -> list[httpx.Response]:
    limits = httpx.Limits(max_connections=n)
    async with httpx.AsyncClient(
        base_url=url, timeout=60, limits=limits, headers={"X-API-Key": KEYS[0]}
    ) as c:
        return await asyncio.gather(*(c.post("/v1/score", json={"text": BUSY_TEXT}) for _ in range(n)))


def test_overload_is_shed_with_retry_after(guarded: LiveServer, authed: httpx.Client) -> None:
    responses = asyncio.run(_burst(guarded.url, 64))
    statuses = [r.status_code for r in responses]
    assert set(statuses) <= {200, 503}, statuses
    shed = [r for r in responses if r.status_code == 503]
    assert shed and statuses.count(200) >= 1, statuses
    for r in shed:
        assert r.headers["retry-after"] == "1" and "overloaded" in r.json()["detail"]
    assert authed.post("/v1/score", json={"text": BUSY_TEXT}).status_code == 200  # and it recovers
    metrics = authed.get("/metrics", headers={"X-API-Key": ADMIN_KEY}).text
    assert 'replyscore_errors_total{kind="overloaded"}' in metrics


def test_keys_never_reach_the_log(guarded: LiveServer, anon: httpx.Client) -> None:
    anon.post("/v1/score", json={"text": "x"}, headers={"X-API-Key": "wrong-key-4242"})
    anon.get("/metrics", headers={"Authorization": f"Bearer {ADMIN_KEY}"})
    log = guarded.log.read_text(errors="replace")
    assert "POST /v1/score" in log  # the access log is on
    for secret in (*KEYS, ADMIN_KEY, "wrong-key-4242"):
        assert secret not in log

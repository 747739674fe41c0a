"""/v1, the probes, /metrics and the OpenAPI document, against a real server."""

from __future__ import annotations

import httpx
import pytest
from serving_helpers import LiveServer

from replyscore.model.categories import CATEGORIES
from replyscore.serving.categories import NAMES

VAGUE_REPLY = "Здравствуйте! Постараемся отправить заказ в ближайшее время."


def rule_ids(report: dict) -> set[str]:
    return {m["rule"]["id"] for m in report["matches"]}


def test_probes(client: httpx.Client) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json()["status"] == "ready" and ready.json()["model_version"]


def test_score_one_reply(client: httpx.Client) -> None:
    r = client.post("/v1/score", json={"text": VAGUE_REPLY})
    assert r.status_code == 200
    report = r.json()
    assert report["offset_unit"] == "code_point"
    assert report["text_length"] == len(VAGUE_REPLY)
    assert {"VAGUE_EFFORT", "VAGUE_TIME"} <= rule_ids(report)
    for m in report["matches"]:
        assert VAGUE_REPLY[m["offset"] : m["offset"] + m["length"]] == m["text"]
        assert "trace" not in m
    assert report["signals"]["vague"]["count"] >= 2
    assert 1 <= report["css"]["score"] <= 5
    assert "tone" in report and report["model_version"]


def test_code_point_offsets_after_emoji(client: httpx.Client) -> None:
    text = "Добрый день 😀😀 Пишите нам в телеграм."
    report = client.post("/v1/score", json={"text": text}).json()
    found = {m["rule"]["id"]: m for m in report["matches"]}
    assert found["OFF_PLATFORM_CHANNEL"]["offset"] == text.index("в телеграм")
    assert found["EMOJI_OR_EMOTICON"]["length"] == 2  # two emoji, two code points


def test_context_fills_deadline_and_rules_select(client: httpx.Client) -> None:
    body = {
        "text": "Мы проверим ваш заказ и ответим.",
        "context": {"eta": "18:00 МСК сегодня", "order_id": "FBO-1"},
        "rules": {"enabled_categories": ["NO_DEADLINE"], "enabled_only": True},
    }
    report = client.post("/v1/score", json=body).json()
    assert {m["rule"]["category"] for m in report["matches"]} == {"NO_DEADLINE"}
    assert any("18:00 МСК сегодня" in r for m in report["matches"] for r in m["replacements"])


def test_disabled_rule_and_debug_trace(client: httpx.Client) -> None:
    r = client.post(
        "/v1/score", json={"text": VAGUE_REPLY, "rules": {"disabled": ["VAGUE_TIME"]}, "debug": True}
    )
    report = r.json()
    assert "VAGUE_TIME" not in rule_ids(report) and "VAGUE_EFFORT" in rule_ids(report)
    assert all(m["trace"] for m in report["matches"])


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        (b"{not json", 400, "invalid JSON"),
        (b"[1, 2]", 422, "JSON object"),
        (b'{"text": 5}', 422, "body.text"),
        (b"{}", 422, "body.text: Field required"),
        (b'{"text": "   "}', 422, "text is empty"),
        (b'{"text": "ok", "colour": "red"}', 422, "body.colour"),
        (b'{"text": "ok", "debug": "yes"}', 422, "body.debug"),
        (b'{"text": "ok", "rules": {"enabled": ["NO_SUCH_RULE"]}}', 422, "NO_SUCH_RULE"),
        (b'{"text": "ok", "rules": {"disabled_categories": ["NOPE"]}}', 422, "disabled_categories"),
        (b'{"text": "ok", "context": {"now": 5}}', 422, "ISO 8601"),
    ],
)
def test_bad_input_is_4xx_with_a_message(client: httpx.Client, body: bytes, status: int, says: str) -> None:
    r = client.post("/v1/score", content=body, headers={"content-type": "application/json"})
    assert r.status_code == status, r.text
    assert says in r.json()["detail"]


def test_batch_with_per_item_errors(client: httpx.Client) -> None:
    items = [
        {"id": 1, "text": VAGUE_REPLY},
        {"id": "b", "text": "  "},
        {"id": 3, "text": "Пишите", "rules": {"enabled": ["NOT_A_RULE"]}},
        {"text": "Ответим до 18:00 МСК."},
    ]
    r = client.post(
        "/v1/score/batch", json={"items": items, "rules": {"disabled_categories": ["NO_DEADLINE"]}}
    )
    assert r.status_code == 200
    out = r.json()
    assert [i["id"] for i in out["items"]] == [1, "b", 3, None]
    assert out["errors"] == 2
    first, empty, unknown, last = out["items"]
    assert "VAGUE_EFFORT" in rule_ids(first["report"]) and "PROMISE_WITHOUT_DEADLINE" not in rule_ids(
        first["report"]
    )
    assert empty["error"] == {"type": "invalid_text", "detail": "text is empty"} and "report" not in empty
    assert unknown["error"]["type"] == "unknown_rule" and "NOT_A_RULE" in unknown["error"]["detail"]
    assert last["report"]["matches"] == []


def test_batch_needs_items(client: httpx.Client) -> None:
    assert client.post("/v1/score/batch", json={"items": []}).status_code == 422
    assert client.post("/v1/score/batch", json={"items": [{"id": True, "text": "x"}]}).status_code == 422


def test_rules_listing(client: httpx.Client) -> None:
    listing = client.get("/v1/rules").json()
    assert [c["id"] for c in listing["categories"]] == list(CATEGORIES)
    rule = next(r for r in listing["rules"] if r["id"] == "VAGUE_EFFORT")
    assert rule["category"] == "VAGUE" and rule["severity"] in ("error", "warning", "info")
    assert rule["description"] and rule["message"]
    assert len(rule["examples"]["positive"]) >= 3 and len(rule["examples"]["negative"]) >= 3
    assert {c["id"] for c in listing["categories"] if c["policy"]} >= {"PHONE", "LINK", "RUDE"}


def test_rule_listing_shows_fixes_as_users_read_them(rules_only: LiveServer) -> None:
    listing = httpx.get(f"{rules_only.url}/v1/rules", timeout=30).json()
    rules = {r["id"]: r for r in listing["rules"]}
    call = rules["OFF_PLATFORM_CALL"]
    assert call["replacements"] == ["написать нам в этом чате"]
    assert call["replacement_templates"] == ["{verb:написать} нам в этом чате"]
    assert call["replacement_note"].startswith('"написать" takes the form of the replaced verb')
    deadline = rules["PROMISE_WITHOUT_DEADLINE"]  # other slots are shown as they are
    assert deadline["replacements"] == deadline["replacement_templates"] == ["{match} до {deadline}"]
    assert deadline["replacement_note"] is None


def test_every_category_has_a_name() -> None:
    assert set(NAMES) == set(CATEGORIES)


def test_unknown_path_and_method(client: httpx.Client) -> None:
    assert client.get("/v1/nothing").status_code == 404
    r = client.delete("/v1/score")
    assert r.status_code == 405 and "POST" in r.headers["allow"]


def test_metrics(client: httpx.Client) -> None:
    client.post("/v1/score", json={"text": VAGUE_REPLY})
    client.post("/v1/score", content=b"{", headers={"content-type": "application/json"})
    text = client.get("/metrics").text
    assert 'replyscore_http_requests_total{method="POST",route="/v1/score",status="200"}' in text
    assert (
        'replyscore_http_request_duration_seconds_bucket{le="0.01",method="POST",route="/v1/score"}' in text
    )
    assert "replyscore_model_batch_size_count" in text
    assert 'replyscore_errors_total{kind="invalid_json"}' in text
    assert 'replyscore_model_info{css_version="' in text and "replyscore_model_ready 1.0" in text


def test_openapi_operation_ids_and_limits(client: httpx.Client) -> None:
    schema = client.get("/openapi.json").json()
    ids = {op["operationId"] for path in schema["paths"].values() for op in path.values()}
    assert ids == {
        "score",
        "rewrite",
        "reloadModel",
        "scoreBatch",
        "listRules",
        "ltCheck",
        "ltLanguages",
        "healthz",
        "readyz",
        "metrics",
    }
    components = schema["components"]["schemas"]
    assert components["ScoreRequest"]["properties"]["text"]["maxLength"] == 10_000
    assert components["BatchRequest"]["properties"]["items"]["maxItems"] == 100
    assert components["ScoreRequest"]["examples"]
    assert "securitySchemes" not in schema.get("components", {})  # no keys configured

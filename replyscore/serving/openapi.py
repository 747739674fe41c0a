"""OpenAPI details: documented error answers, and the configured limits written into the schemas."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fastapi import FastAPI

from replyscore.serving.schemas import ErrorResponse
from replyscore.serving.settings import Settings

DESCRIPTIONS = {
    400: "Invalid JSON, or invalid parameters.",
    401: "Missing or wrong API key.",
    413: "The request body, or the text (LanguageTool API), is larger than the configured limit.",
    422: "A field has the wrong type or value: a text longer than the limit, an empty text, an unknown rule "
    "or category id. The message names the field.",
    503: "The model is still loading, or the service is overloaded: retry after Retry-After seconds.",
}
RETRY_AFTER = {
    "Retry-After": {"description": "Seconds to wait before retrying.", "schema": {"type": "integer"}}
}


def errors(*codes: int, plain: bool = False) -> dict[int | str, dict[str, Any]]:
    """Documented error answers: JSON {detail, errors?} on /v1, plain text on LanguageTool's /v2."""
    out: dict[int | str, dict[str, Any]] = {}
    for code in codes:
        doc: dict[str, Any] = {"description": DESCRIPTIONS[code]}
        if plain:
            doc["content"] = {"text/plain": {"schema": {"type": "string"}}}
        else:
            doc["model"] = ErrorResponse
        if code == 503:
            doc["headers"] = RETRY_AFTER
        out[code] = doc
    return out


def with_limits(app: FastAPI, settings: Settings) -> Callable[[], dict[str, Any]]:
    """An `app.openapi` that states the configured text and batch limits in the schemas (a batch item
    over the text limit gets a per-item error, so its schema only describes the limit)."""
    build = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = build()
            components = schema["components"]["schemas"]
            components["ScoreRequest"]["properties"]["text"]["maxLength"] = settings.max_text_chars
            components["BatchItem"]["properties"]["text"]["description"] += (
                f" Longer than {settings.max_text_chars} characters: the item gets a text_too_long error."
            )
            components["BatchRequest"]["properties"]["items"]["maxItems"] = settings.max_batch_items
            app.openapi_schema = schema
        return app.openapi_schema

    return openapi

"""Error answers: JSON `{detail, errors?}` on /v1, plain text on LanguageTool's /v2 (as LanguageTool does,
so its clients show the message). Every error is counted by kind; no bad input gets a 5xx."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from replyscore.serving.metrics import Metrics

log = logging.getLogger("replyscore.serving")

RETRY_AFTER_S = 1
LT_PREFIX = "/v2/"


class ServiceError(Exception):
    def __init__(
        self,
        status: int,
        kind: str,
        detail: str,
        headers: dict[str, str] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.kind = kind
        self.detail = detail
        self.headers = headers
        self.errors = errors


def unavailable(kind: str, detail: str) -> ServiceError:
    return ServiceError(503, kind, detail, {"Retry-After": str(RETRY_AFTER_S)})


def error_response(
    path: str,
    status: int,
    detail: str,
    headers: dict[str, str] | None = None,
    errors: list[dict[str, Any]] | None = None,
) -> Response:
    if path.startswith(LT_PREFIX):
        return PlainTextResponse(f"Error: {detail}", status, headers)
    body: dict[str, Any] = {"detail": detail}
    if errors:
        body["errors"] = errors
    return JSONResponse(body, status, headers)


def _validation_error(path: str, raw: Sequence[Any]) -> ServiceError:
    """One readable message for FastAPI's validation errors; 400 on LanguageTool's API, as it answers."""
    errors = [
        {
            "loc": [p if isinstance(p, int) else str(p) for p in e.get("loc", ())],
            "msg": str(e.get("msg", "")),
            "type": str(e.get("type", "")),
        }
        for e in raw
    ]
    broken_json = next((e for e in raw if e.get("type") == "json_invalid"), None)
    if broken_json is not None:
        return ServiceError(
            400, "invalid_json", f"invalid JSON: {broken_json.get('ctx', {}).get('error', '')}"
        )
    if [e["loc"] for e in errors] == [["body"]] and errors[0]["type"] == "model_attributes_type":
        return ServiceError(
            422, "validation", "the body must be a JSON object (Content-Type: application/json)"
        )
    detail = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'request'}: {e['msg']}" for e in errors)
    return ServiceError(400 if path.startswith(LT_PREFIX) else 422, "validation", detail, errors=errors)


def install(app: FastAPI, metrics: Metrics) -> None:
    def answer(request: Request, exc: ServiceError) -> Response:
        metrics.errors.labels(exc.kind).inc()
        return error_response(request.url.path, exc.status, exc.detail, exc.headers, exc.errors)

    @app.exception_handler(ServiceError)
    async def service_error(request: Request, exc: ServiceError) -> Response:
        return answer(request, exc)

    @app.exception_handler(RequestValidationError)
    async def validation_error(request: Request, exc: RequestValidationError) -> Response:
        return answer(request, _validation_error(request.url.path, exc.errors()))

    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        kind = {400: "invalid_body", 404: "not_found", 405: "method_not_allowed"}.get(exc.status_code, "http")
        return answer(
            request,
            ServiceError(exc.status_code, kind, str(exc.detail), dict(exc.headers) if exc.headers else None),
        )

    @app.exception_handler(Exception)
    async def internal_error(request: Request, exc: Exception) -> Response:
        log.exception("unexpected error on %s %s", request.method, request.url.path)
        metrics.errors.labels("internal").inc()
        return error_response(request.url.path, 500, "internal error")

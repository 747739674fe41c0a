"""Probes and metrics for the platform running the service."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Security
from fastapi.responses import JSONResponse, Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from prometheus_client import CONTENT_TYPE_LATEST

from replyscore.serving.errors import RETRY_AFTER_S
from replyscore.serving.openapi import RETRY_AFTER, errors
from replyscore.serving.schemas import Health, Readiness
from replyscore.serving.security import api_key_header
from replyscore.serving.service import ServiceDep, get_service
from replyscore.serving.settings import Settings

bearer = HTTPBearer(auto_error=False, description="The admin key as a bearer token (for Prometheus).")


async def require_admin_key(
    request: Request,
    key: Annotated[str | None, Security(api_key_header)],
    token: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> None:
    get_service(request).keys.check_admin(key or (token.credentials if token else None))


def router(settings: Settings) -> APIRouter:
    api = APIRouter(tags=["operations"])
    admin = [Depends(require_admin_key)] if settings.admin_key else []

    @api.get(
        "/healthz", operation_id="healthz", response_model=Health, summary="Liveness: the process answers"
    )
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @api.get(
        "/readyz",
        operation_id="readyz",
        response_model=Readiness,
        response_model_exclude_none=True,
        responses={
            503: {
                "model": Readiness,
                "headers": RETRY_AFTER,
                "description": "The model is loading, or failed to load.",
            }
        },
        summary="Readiness: 200 once the model is loaded, 503 before",
    )
    async def readyz(service: ServiceDep) -> Any:
        model = service.model
        if model.scorer is not None:
            return {
                "status": "ready",
                "model_version": model.scorer.version,
                "load_seconds": round(model.load_seconds or 0.0, 3),
            }
        body = Readiness(status="failed" if model.error else "loading", detail=model.error)
        return JSONResponse(body.model_dump(exclude_none=True), 503, {"Retry-After": str(RETRY_AFTER_S)})

    @api.get(
        "/metrics",
        operation_id="metrics",
        dependencies=admin,
        response_class=Response,
        responses={
            200: {
                "description": "Prometheus text format.",
                "content": {"text/plain": {"schema": {"type": "string"}}},
            },
            **(errors(401) if settings.admin_key else {}),
        },
        summary="Prometheus metrics: requests, latency, batch sizes, errors, model version",
    )
    async def metrics(service: ServiceDep) -> Response:
        return Response(service.metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return api

"""/v1/admin: swapping the model while the service runs (also on SIGHUP)."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from fastapi import APIRouter, Depends
from pydantic import BaseModel, Field

from replyscore.serving.api_ops import require_admin_key
from replyscore.serving.errors import ServiceError
from replyscore.serving.openapi import errors
from replyscore.serving.schemas import ErrorResponse
from replyscore.serving.service import Service, ServiceDep
from replyscore.serving.settings import Settings
from replyscore.serving.state import ModelLoadError, ReloadInProgress

log = logging.getLogger("replyscore.serving")


class ReloadRequest(BaseModel):
    model_config = {"extra": "forbid"}

    model_path: str | None = Field(
        None,
        description="Model directory to load; unset = the configured one (REPLYSCORE_MODEL_PATH or default).",
    )


class ReloadResponse(BaseModel):
    previous_version: str | None
    model_version: str
    load_seconds: float


async def reload_model(service: Service, model_path: Path | None = None) -> dict[str, Any]:
    previous = service.model.scorer.version if service.model.scorer else None
    try:
        scorer = await asyncio.to_thread(service.model.reload, model_path)
    except ReloadInProgress as exc:
        raise ServiceError(409, "reload_in_progress", str(exc)) from exc
    except ModelLoadError as exc:
        raise ServiceError(422, "reload_failed", f"{exc}; the previous model keeps serving") from exc
    return {
        "previous_version": previous,
        "model_version": scorer.version,
        "load_seconds": round(service.model.load_seconds or 0.0, 3),
    }


def router(settings: Settings) -> APIRouter:
    admin = [Depends(require_admin_key)] if settings.admin_key else []
    api = APIRouter(prefix="/v1/admin", tags=["admin"], dependencies=admin)

    @api.post(
        "/reload",
        operation_id="reloadModel",
        response_model=ReloadResponse,
        responses={
            **errors(400, 401, 422),
            403: {"model": ErrorResponse, "description": "Reloads are disabled: no admin key is configured."},
            409: {"model": ErrorResponse, "description": "Another reload is running."},
        },
        summary="Load the model again (or another model directory) and swap it in without dropping requests",
    )
    async def reload(service: ServiceDep, body: ReloadRequest | None = None) -> dict[str, Any]:
        if not settings.admin_key:
            raise ServiceError(403, "admin_disabled", "set REPLYSCORE_ADMIN_KEY to enable model reloads")
        path = Path(body.model_path) if body and body.model_path else None
        if path is not None and not path.is_dir():
            raise ServiceError(422, "reload_failed", f"model_path {path} is not a directory")
        return await reload_model(service, path)

    return api

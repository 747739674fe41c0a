"""/v1: replyscore's own API — one reply, its suggestions, a batch with per-item errors, the rule list."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, Security

from replyscore.model.report import Report
from replyscore.model.rulebook import RuleSelection
from replyscore.model.scorer import ScoreRequest as ModelRequest
from replyscore.serving.errors import ServiceError
from replyscore.serving.openapi import errors
from replyscore.serving.schemas import (
    BatchRequest,
    BatchResponse,
    RewriteResponse,
    RuleSelectionIn,
    RulesResponse,
    ScoreInput,
    ScoreRequest,
    ScoreResponse,
)
from replyscore.serving.security import api_key_header
from replyscore.serving.service import Service, ServiceDep, error_kind, get_service
from replyscore.serving.settings import Settings
from replyscore.serving.suggestions import suggestions


def _selection(rules: RuleSelectionIn | None) -> RuleSelection | None:
    if rules is None:
        return None
    return RuleSelection.of(
        rules.enabled, rules.disabled, rules.enabled_categories, rules.disabled_categories, rules.enabled_only
    )


def _request(item: ScoreInput, default_rules: RuleSelectionIn | None = None) -> ModelRequest:
    slots = item.context.slots() if item.context else {}
    return ModelRequest(item.text, item.customer_message, _selection(item.rules or default_rules), slots)


async def _score_one(service: Service, body: ScoreRequest) -> Report:
    too_long = service.text_too_long(body.text)
    if too_long:
        raise ServiceError(422, "text_too_long", too_long)
    [result] = await service.score([_request(body)])
    if isinstance(result, Exception):
        raise ServiceError(422, error_kind(result), str(result))
    return result


async def require_client_key(request: Request, key: Annotated[str | None, Security(api_key_header)]) -> None:
    get_service(request).keys.check_client(key)


def router(settings: Settings) -> APIRouter:
    auth = [Depends(require_client_key)] if settings.auth_enabled else []
    api = APIRouter(prefix="/v1", tags=["score"], dependencies=auth)

    @api.post(
        "/score",
        operation_id="score",
        response_model=ScoreResponse,
        response_model_exclude_unset=True,
        responses=errors(400, 401, 413, 422, 503),
        summary="Score one reply: rule matches, signals, tone and CSS",
    )
    async def score(body: ScoreRequest, service: ServiceDep) -> dict[str, Any]:
        report = await _score_one(service, body)
        out = service.report(report, body.debug)
        if body.suggest:
            out["suggestions"] = await suggestions(service, body, report)
        return out

    @api.post(
        "/rewrite",
        operation_id="rewrite",
        response_model=RewriteResponse,
        response_model_exclude_unset=True,
        responses=errors(400, 401, 413, 422, 503),
        summary="Suggest a fix of the draft and template rewrites, each re-checked before it is returned",
    )
    async def rewrite(body: ScoreRequest, service: ServiceDep) -> dict[str, Any]:
        report = await _score_one(service, body)
        return {
            "suggestions": await suggestions(service, body, report),
            "report": service.report(report, body.debug),
        }

    @api.post(
        "/score/batch",
        operation_id="scoreBatch",
        response_model=BatchResponse,
        response_model_exclude_unset=True,
        responses=errors(400, 401, 413, 422, 503),
        summary="Score many replies; a bad item gets an error, the others their reports",
    )
    async def score_batch(body: BatchRequest, service: ServiceDep) -> dict[str, Any]:
        limit = service.settings.max_batch_items
        if len(body.items) > limit:
            raise ServiceError(
                422, "batch_too_large", f"items: {len(body.items)} items; the limit is {limit}"
            )
        results: list[dict[str, Any]] = [{"id": item.id} for item in body.items]
        todo = []
        for out, item in zip(results, body.items, strict=True):
            too_long = service.text_too_long(item.text)
            if too_long:
                out["error"] = {"type": "text_too_long", "detail": too_long}
            else:
                todo.append((out, item))
        scored = await service.score([_request(item, body.rules) for _, item in todo]) if todo else []
        for (out, item), result in zip(todo, scored, strict=True):
            if isinstance(result, Exception):
                out["error"] = {"type": error_kind(result), "detail": str(result)}
            else:
                out["report"] = service.report(result, item.debug)
        failed = [out["error"]["type"] for out in results if "error" in out]
        for kind in failed:
            service.count_item_error(kind)
        return {"items": results, "errors": len(failed)}

    @api.get(
        "/rules",
        operation_id="listRules",
        response_model=RulesResponse,
        responses=errors(401, 503),
        summary="Every rule with its category, severity, description, message and examples",
    )
    async def list_rules(service: ServiceDep) -> dict[str, Any]:
        return service.rules()

    return api

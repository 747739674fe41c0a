"""/v2: LanguageTool's HTTP API, so LanguageTool clients and editor plug-ins can use replyscore."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from pydantic import BaseModel, Field

from replyscore.model.report import Report
from replyscore.model.rulebook import RuleSelection
from replyscore.model.scorer import ScoreRequest
from replyscore.serving.errors import ServiceError
from replyscore.serving.languagetool import (
    LANGUAGE,
    CheckText,
    LtCheckResponse,
    LtLanguageInfo,
    check_language,
    check_response,
    split_ids,
)
from replyscore.serving.openapi import errors
from replyscore.serving.security import API_KEY_HEADER
from replyscore.serving.service import ServiceDep, error_kind
from replyscore.serving.settings import Settings


class LtCheckForm(BaseModel):
    """LanguageTool's check parameters. Others it knows (motherTongue, level, preferredVariants,
    username, ...) are accepted and ignored."""

    text: str | None = Field(
        None,
        description="The text to check (or give `data`).",
        examples=["Постараемся ответить в ближайшее время 🙂"],
    )
    data: str | None = Field(
        None,
        description='Text with markup as JSON: {"annotation": [{"text": "..."}, '
        '{"markup": "<b>", "interpretAs": ""}]}.',
    )
    language: str = Field(
        description="ru-RU, ru or auto (any case, - or _).",
        examples=["ru-RU"],
        json_schema_extra={"enum": ["ru-RU", "ru", "auto"]},
    )
    enabledRules: str | None = Field(None, description="Comma-separated rule ids to switch on.")
    disabledRules: str | None = Field(None, description="Comma-separated rule ids to switch off.")
    enabledCategories: str | None = Field(None, description="Comma-separated categories to switch on.")
    disabledCategories: str | None = Field(None, description="Comma-separated categories to switch off.")
    enabledOnly: bool = Field(False, description="Run only the enabled rules and categories.")
    apiKey: str | None = Field(None, description=f"An API key, when the {API_KEY_HEADER} header is not sent.")


def _source(form: LtCheckForm) -> CheckText:
    if (form.text is None) == (form.data is None):
        raise ServiceError(400, "validation", "give either the 'text' or the 'data' parameter")
    return CheckText(form.text, form.text) if form.text is not None else CheckText.from_data(form.data or "")


def router(settings: Settings) -> APIRouter:
    api = APIRouter(prefix="/v2", tags=["LanguageTool API"])
    security: dict[str, Any] | None = {"security": [{"APIKeyHeader": []}]} if settings.auth_enabled else None

    @api.post(
        "/check",
        operation_id="ltCheck",
        response_model=LtCheckResponse,
        openapi_extra=security,
        responses=errors(400, 401, 413, 503, plain=True),
        summary="Check a text, answering as LanguageTool does (offsets in UTF-16 code units)",
    )
    async def lt_check(
        request: Request, form: Annotated[LtCheckForm, Form()], service: ServiceDep
    ) -> dict[str, Any]:
        service.keys.check_client(request.headers.get(API_KEY_HEADER) or form.apiKey)
        check_language(form.language)
        source = _source(form)
        if len(source.plain) > service.settings.max_text_chars:
            raise ServiceError(
                413,
                "text_too_long",
                f"your text is {len(source.plain)} characters long; "
                f"the limit is {service.settings.max_text_chars}",
            )
        auto = form.language.strip().lower() == "auto"
        if not source.plain.strip():
            return check_response(Report(source.plain, [], {}), source, auto)
        selection = RuleSelection.of(
            split_ids(form.enabledRules),
            split_ids(form.disabledRules),
            split_ids(form.enabledCategories),
            split_ids(form.disabledCategories),
            form.enabledOnly,
        )
        [result] = await service.score([ScoreRequest(source.plain, selection=selection)])
        if isinstance(result, Exception):
            raise ServiceError(400, error_kind(result), str(result))
        return check_response(result, source, auto)

    @api.get(
        "/languages",
        operation_id="ltLanguages",
        response_model=list[LtLanguageInfo],
        summary="The languages this service checks (Russian)",
    )
    async def lt_languages() -> list[dict[str, str]]:
        return [LANGUAGE]

    return api

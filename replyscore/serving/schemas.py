"""Request and response schemas of the /v1 API and the probes (the OpenAPI document is built from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator

from replyscore.model.categories import CATEGORIES

CategoryId = Literal[CATEGORIES]  # type: ignore[valid-type]
Severity = Literal["error", "warning", "info"]

EXAMPLE_TEXT = "Здравствуйте! Постараемся отправить заказ в ближайшее время."


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class RuleSelectionIn(Strict):
    """Which rules report matches. Empty = every rule. Unknown ids are an error that names them."""

    enabled: list[str] = Field(default_factory=list, description="Rule ids to switch on.")
    disabled: list[str] = Field(default_factory=list, description="Rule ids to switch off.")
    enabled_categories: list[CategoryId] = Field(default_factory=list, description="Categories to switch on.")
    disabled_categories: list[CategoryId] = Field(
        default_factory=list, description="Categories to switch off."
    )
    enabled_only: StrictBool = Field(False, description="Run only the enabled rules and categories.")


class OrderContext(Strict):
    """What the agent knows about the order; fills replacement templates (`{deadline}` from `eta`)."""

    order_id: str | None = Field(None, max_length=100, examples=["FBO-48213975"])
    status: str | None = Field(None, max_length=100, examples=["Shipped"])
    eta: str | None = Field(
        None,
        max_length=100,
        description="Promised date or time, as the reply would say it.",
        examples=["18:00 МСК 2 декабря"],
    )
    now: datetime | None = Field(None, description="When the reply is written (ISO 8601).")

    @field_validator("now", mode="before")
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError("must be an ISO 8601 date-time string")
        return value

    def slots(self) -> dict[str, str]:
        values = {
            "order_id": self.order_id,
            "status": self.status,
            "eta": self.eta,
            "deadline": self.eta,
            "now": self.now.isoformat() if self.now else None,
        }
        return {k: v for k, v in values.items() if v}


class ScoreInput(Strict):
    text: str = Field(min_length=1, description="The draft reply.", examples=[EXAMPLE_TEXT])
    customer_message: str | None = Field(
        None,
        description="The customer's message the reply answers.",
        examples=["Где мой заказ? Жду уже неделю."],
    )
    context: OrderContext | None = None
    rules: RuleSelectionIn | None = None
    debug: StrictBool = Field(
        False, description="Add to each match the tokens and pattern elements that fired it."
    )


class ScoreRequest(ScoreInput):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text": EXAMPLE_TEXT,
                    "context": {"eta": "18:00 МСК 2 декабря"},
                    "rules": {"disabled_categories": ["EMOJI"]},
                },
            ]
        }
    )


class BatchItem(ScoreInput):
    id: StrictStr | StrictInt | None = Field(
        None, description="Echoed back with the item's result.", examples=["r-1"]
    )


class BatchRequest(Strict):
    items: list[BatchItem] = Field(min_length=1, description="Replies to score (at most max_batch_items).")
    rules: RuleSelectionIn | None = Field(None, description="Rule selection for items that give none.")

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "items": [
                        {"id": 1, "text": EXAMPLE_TEXT},
                        {"id": 2, "text": "Ответим до 18:00 МСК сегодня."},
                    ]
                },
            ]
        }
    )


class RuleRef(BaseModel):
    id: str
    category: CategoryId
    severity: Severity
    description: str


class TraceStepOut(BaseModel):
    token: str
    lemma: str
    element: str


class MatchOut(BaseModel):
    offset: int = Field(description="Start, in Python code points (see offset_unit).")
    length: int
    text: str = Field(description="The matched text as written.")
    rule: RuleRef
    message: str
    replacements: list[str]
    source: Literal["rule", "model"]
    trace: list[TraceStepOut] | None = Field(None, description="Present when debug is true.")


class Rate(BaseModel):
    count: int
    per_100_words: float


class Count(BaseModel):
    count: int


class Promises(BaseModel):
    count: int
    without_deadline: int


class TimeExpressions(BaseModel):
    count: int
    texts: list[str]


class Signals(BaseModel):
    model_config = ConfigDict(extra="allow")

    words: int
    sentences: int
    apology: Rate
    negation: Rate
    vague: Count
    promises: Promises
    time_expressions: TimeExpressions


class ToneScore(BaseModel):
    label: str
    score: float


class CssContribution(BaseModel):
    signal: str
    value: float
    weight: float
    delta: float


class Css(BaseModel):
    """replyscore's own explainable 1-5 customer-sentiment estimate (not an Ozon metric)."""

    score: float = Field(ge=1, le=5)
    base: float
    version: str
    contributions: list[CssContribution]
    tone_used: bool


class ScoreResponse(BaseModel):
    model_config = ConfigDict(extra="allow")  # suggestions and other report parts as they are added

    offset_unit: Literal["code_point"]
    text_length: int
    matches: list[MatchOut]
    signals: Signals
    tone: list[ToneScore] | None = Field(
        description="Tone as Hugging Face pipelines report it; null when the service runs rules only."
    )
    css: Css
    model_version: str


class ItemError(BaseModel):
    type: Literal["invalid_text", "unknown_rule", "text_too_long"]
    detail: str


class BatchItemResult(BaseModel):
    id: str | int | None
    report: ScoreResponse | None = None
    error: ItemError | None = None


class BatchResponse(BaseModel):
    items: list[BatchItemResult]
    errors: int = Field(description="How many items have an error instead of a report.")


class Examples(BaseModel):
    positive: list[str]
    negative: list[str]


class RuleInfo(BaseModel):
    id: str
    category: CategoryId
    severity: Severity
    description: str
    message: str
    replacements: list[str]
    examples: Examples


class CategoryInfo(BaseModel):
    id: CategoryId
    name: str
    policy: bool = Field(
        description="A marketplace chat-policy category: such a reply must not be sent as is."
    )


class RulesResponse(BaseModel):
    rules: list[RuleInfo]
    categories: list[CategoryInfo]


class FieldError(BaseModel):
    loc: list[str | int]
    msg: str
    type: str


class ErrorResponse(BaseModel):
    detail: str = Field(examples=["text is longer than 10000 characters"])
    errors: list[FieldError] | None = None


class Health(BaseModel):
    status: Literal["ok"]


class Readiness(BaseModel):
    status: Literal["ready", "loading", "failed"]
    model_version: str | None = None
    load_seconds: float | None = None
    detail: str | None = None

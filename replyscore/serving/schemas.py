"""Request and response schemas of the /v1 API and the probes (the OpenAPI document is built from them)."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, StrictInt, StrictStr, field_validator

from replyscore.model.categories import CATEGORIES

CategoryId = Literal[CATEGORIES]  # type: ignore[valid-type]
Severity = Literal["error", "warning", "info"]

EXAMPLE_TEXT = "Здравствуйте! Постараемся отправить заказ в ближайшее время."
MIN_YEAR, MAX_YEAR = 2000, 2100  # `now` outside these is a mistake, and dates near 1 or 9999 overflow


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
    """What the agent knows about the order: fills replacement templates (`{deadline}` from `eta`) and,
    for suggestions, picks and fills the templates (the logistics decision tree, deadlines from `now`)."""

    order_id: str | None = Field(
        None,
        max_length=100,
        description="The order id; its prefix (FBO, FBS, rFBS) names the scheme.",
        examples=["FBO-48213975"],
    )
    status: str | None = Field(
        None,
        max_length=100,
        description="Packed, Shipped, In transit, At pickup point, Delivered or Delayed (any spelling, "
        "or Russian); another value is kept but picks no status template.",
        examples=["Shipped"],
    )
    eta: str | None = Field(
        None,
        max_length=100,
        description="Expected delivery: an ISO date (written as «2 декабря (ср)») or text as the reply "
        "would say it.",
        examples=["18:00 МСК 2 декабря"],
    )
    now: datetime | None = Field(
        None,
        description="When the reply is written (ISO 8601; without an offset: Moscow time). Default: now. "
        f"Years {MIN_YEAR}-{MAX_YEAR}.",
    )
    customer_name: str | None = Field(None, max_length=100, examples=["Анна"])
    track: str | None = Field(
        None, max_length=100, description="Tracking number.", examples=["RP123456789RU"]
    )
    tier: Literal["standard", "premium"] | None = Field(
        None, description="Response-time tier for computed deadlines: standard 2 h, premium 15 min."
    )
    scheme: Literal["FBO", "FBS", "rFBS"] | None = Field(
        None, description="Fulfilment scheme, when the order id does not say it."
    )
    pickup_until: str | None = Field(None, max_length=100, description="Pick-up point keeps the order until.")
    refund_by: str | None = Field(None, max_length=100, description="The refund arrives by.")
    return_period: str | None = Field(None, max_length=100, examples=["30 дней"])

    @field_validator("now", mode="before")
    @classmethod
    def _iso_text(cls, value: Any) -> Any:
        if value is not None and not isinstance(value, str):
            raise ValueError("must be an ISO 8601 date-time string")
        return value

    @field_validator("now")
    @classmethod
    def _plausible(cls, value: datetime | None) -> datetime | None:
        if value is not None and not MIN_YEAR <= value.year <= MAX_YEAR:
            raise ValueError(f"must be a moment in the years {MIN_YEAR}-{MAX_YEAR}")
        return value

    def slots(self) -> dict[str, str]:
        """Slots for the rules' replacement templates."""
        values = {
            "order_id": self.order_id,
            "status": self.status,
            "eta": self.eta,
            "deadline": self.eta,
            "now": self.now.isoformat() if self.now else None,
        }
        return {k: v for k, v in values.items() if v}

    def for_suggestions(self) -> dict[str, Any]:
        """The context `replyscore.model.rewrite.suggest` reads (`now` stays a datetime)."""
        return self.model_dump(exclude_none=True)


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
    suggest: StrictBool = Field(
        False,
        description="Add `suggestions` to the report: a fix of the draft and template rewrites, each "
        "re-checked (/v1/rewrite always makes them).",
    )

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "text": EXAMPLE_TEXT,
                    "context": {"eta": "18:00 МСК 2 декабря"},
                    "rules": {"disabled_categories": ["EMOJI"]},
                },
                {
                    "text": EXAMPLE_TEXT,
                    "customer_message": "Где мой заказ? Жду уже неделю.",
                    "context": {"order_id": "FBO-48213975", "status": "Shipped", "eta": "2026-12-02"},
                    "suggest": True,
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
    rude: Count = Field(description="RUDE findings of all rules, selected or not; they shift the tone.")
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


class SuggestionChange(BaseModel):
    """One edit of a fix (offset and length point into the draft for the first round of edits), or the
    template a rewrite used."""

    action: Literal["replace", "insert", "remove", "drop_sentence", "replace_sentence", "append", "template"]
    rule_id: str | None = None
    category: CategoryId | None = None
    before: str | None = None
    after: str | None = None
    offset: int | None = Field(None, description="In Python code points, into the draft.")
    length: int | None = None
    template_id: str | None = None
    slots: list[str] | None = Field(None, description="The slots the template filled.")


class ScenarioRank(BaseModel):
    id: str
    confidence: float


class ScenarioOut(BaseModel):
    id: str = Field(description="The scenario the template serves (after the logistics decision tree).")
    title: str | None = Field(None, description="The scenario's name, in Russian.")
    confidence: float
    confident: bool = Field(description="False: the detector was unsure, and the top scenarios are offered.")
    source: Literal["customer_message", "draft"]
    model: str
    top: list[ScenarioRank]


class Suggestion(BaseModel):
    kind: Literal["fix", "rewrite"]
    text: str = Field(description="The suggested reply; re-checked: no VAGUE, NO_DEADLINE or policy finding.")
    css_after: float | None = Field(description="The CSS of the suggested reply.")
    changes: list[SuggestionChange]
    template_id: str | None = None
    template_version: int | None = None
    scenario: ScenarioOut | None = None


class ScoreResponse(BaseModel):
    model_config = ConfigDict(extra="allow")  # further report parts as they are added

    offset_unit: Literal["code_point"]
    text_length: int
    matches: list[MatchOut]
    signals: Signals
    tone: list[ToneScore] | None = Field(
        description="Tone as Hugging Face pipelines report it; null when the service runs rules only."
    )
    css: Css
    model_version: str
    suggestions: list[Suggestion] | None = Field(None, description="Present when `suggest` is true.")


class RewriteResponse(BaseModel):
    suggestions: list[Suggestion] = Field(
        description="A fix of the draft (when it has findings and a fix passes the re-check) and the best "
        "approved template of the detected scenario (of the top scenarios when unsure)."
    )
    report: ScoreResponse = Field(description="The draft's own report.")


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
    replacements: list[str] = Field(
        description='Suggested fixes as a user reads them: "написать нам в этом чате" (see replacement_note).'
    )
    replacement_templates: list[str] = Field(
        description="The same fixes as the engine fills them: {verb:написать} is that verb in the form of "
        "the replaced one, {deadline} the response deadline, {match} the matched text."
    )
    replacement_note: str | None = Field(
        description="Which verbs of the replacements take the form of the replaced verb; null if none."
    )
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

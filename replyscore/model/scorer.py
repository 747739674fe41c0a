"""The full scorer: rules, then the language model (tone, vague paraphrases) in one batch, then CSS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from replyscore.model.checker import Checker
from replyscore.model.css import CssModel
from replyscore.model.report import Match, Report, TraceStep
from replyscore.model.rulebook import RuleSelection

TONE_LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class ModelView:
    """What the language model says about one text."""

    tone: list[dict[str, Any]]  # Hugging Face pipeline shape: [{label, score}], best first
    vague_spans: list[tuple[int, int, float]] = field(default_factory=list)  # sentence spans, probability


class LanguageModel(Protocol):
    version: str

    def analyse(self, texts: Sequence[str]) -> list[ModelView]: ...


@dataclass(frozen=True)
class ScoreRequest:
    text: str
    customer_message: str | None = None
    selection: RuleSelection | None = None
    slots: Mapping[str, str] = field(default_factory=dict)


VAGUE_MODEL_RULE_ID = "VAGUE_PARAPHRASE"  # rules/vague_model.yaml; its matches come from the model


def with_deadline(slots: Mapping[str, str]) -> Mapping[str, str]:
    """Slots for replacements; without a given deadline, the reply's own: the standard response tier
    from `now` (or the current time) in Moscow working hours."""
    if slots.get("deadline"):
        return slots
    from replyscore.model.deadlines import parse_moment, response_deadline

    try:
        now = parse_moment(slots.get("now"))
    except ValueError:
        return slots
    return {**slots, "deadline": response_deadline(now).text}


class Scorer:
    def __init__(
        self,
        checker: Checker | None = None,
        language_model: LanguageModel | None = None,
        css: CssModel | None = None,
    ) -> None:
        self.checker = checker or Checker()
        self.language_model = language_model
        self.css = css or CssModel.load()

    @property
    def version(self) -> str:
        return self.language_model.version if self.language_model else "rules-only"

    def score(self, request: ScoreRequest | str) -> Report:
        result = self.score_batch([request])[0]
        if isinstance(result, Exception):
            raise result
        return result

    def score_batch(self, requests: Sequence[ScoreRequest | str]) -> list[Report | Exception]:
        """Score many replies; bad items come back as their exception, the rest are scored."""
        reports: list[Report | Exception] = []
        wants_model_vague: list[bool] = []
        for item in requests:
            req = ScoreRequest(item) if isinstance(item, str) else item
            try:
                report = self.checker.check(req.text, req.selection, with_deadline(req.slots))
                reports.append(report)
                wants_model_vague.append(VAGUE_MODEL_RULE_ID in report.active_rules)
            except ValueError as exc:
                reports.append(exc)
        valid = [r for r in reports if isinstance(r, Report)]
        views = (
            self.language_model.analyse([r.text for r in valid]) if self.language_model and valid else None
        )
        for i, report in enumerate(valid):
            view = views[i] if views else None
            if view is not None:
                self._merge_model(report, view, report_vague=wants_model_vague[i])
            report.extra["tone"] = view.tone if view else None
            report.extra["css"] = self.css.score(report.signals, report.matches, view.tone if view else None)
        return reports

    def _merge_model(self, report: Report, view: ModelView, report_vague: bool) -> None:
        """Count the model's vague sentences that no rule already flagged; report them if selected."""
        rule = self.checker.rulebook.by_id[VAGUE_MODEL_RULE_ID]
        rule_vague = [m for m in report.matches if m.category == "VAGUE"]
        added = 0
        for start, end, prob in view.vague_spans:
            if any(m.offset < end and m.end > start for m in rule_vague):
                continue
            added += 1
            if report_vague:
                text = report.text[start:end]
                step = TraceStep(text, "", f"vague-sentence head p={prob:.2f}")
                report.matches.append(
                    Match(start, end - start, text, rule.public(), rule.message, (), "model", (step,))
                )
        if added:
            report.matches.sort(key=lambda m: (m.offset, m.length))
            report.signals["vague"]["count"] += added

"""The full scorer: rules, then the language model (tone, vague paraphrases) in one batch, then CSS."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import numpy as np

from replyscore.model.checker import Checker
from replyscore.model.css import CssModel
from replyscore.model.report import Match, Report, TraceStep
from replyscore.model.rulebook import RuleSelection

TONE_LABELS = ("negative", "neutral", "positive")


@dataclass(frozen=True)
class ModelView:
    """What the language model says about one text."""

    tone: list[dict[str, Any]]  # Hugging Face pipeline shape: [{label, score}], best first, unrounded
    vague_spans: list[tuple[int, int, float]] = field(default_factory=list)  # sentence spans, probability


class LanguageModel(Protocol):
    version: str
    rude_shift: float  # log-odds of "negative" added when the rules find the reply rude

    def analyse(self, texts: Sequence[str]) -> list[ModelView]: ...


@dataclass(frozen=True)
class ScoreRequest:
    text: str
    customer_message: str | None = None
    selection: RuleSelection | None = None
    slots: Mapping[str, str] = field(default_factory=dict)


VAGUE_MODEL_RULE_ID = "VAGUE_PARAPHRASE"  # rules/vague_model.yaml; its matches come from the model


def tone_with_rule_evidence(tone: list[dict[str, Any]], rude: bool, shift: float) -> list[dict[str, Any]]:
    """The served tone: the model's, with `shift` added to the log-odds of "negative" when the rules
    found the reply rude (a name-calling or mat the encoder may read as neutral), rounded, best first."""
    probs = {t["label"]: float(t["score"]) for t in tone}
    if rude and shift and "negative" in probs:
        boost = float(np.exp(shift))
        norm = probs["negative"] * boost + (1.0 - probs["negative"])
        probs = {lab: p * (boost if lab == "negative" else 1.0) / norm for lab, p in probs.items()}
    ranked = sorted(probs.items(), key=lambda p: -p[1])
    return [{"label": lab, "score": round(p, 4)} for lab, p in ranked]


def shift_negative_logits(logits: np.ndarray, rude: np.ndarray, shift: float, negative: int) -> np.ndarray:
    """`tone_with_rule_evidence` on a (N, labels) logit matrix: float64, `shift` added to the
    "negative" column of the rows where `rude`."""
    out = logits.astype(np.float64, copy=True)
    out[:, negative] += shift * np.asarray(rude, dtype=bool)
    return out


def negative_log_odds(logits: np.ndarray, negative: int) -> np.ndarray:
    """log P(negative) / (1 - P(negative)) per row of (N, labels) logits, in float64: it orders texts as
    P(negative) does, also where both probabilities round to 1.0."""
    logits = logits.astype(np.float64)
    return logits[:, negative] - np.logaddexp.reduce(np.delete(logits, negative, axis=1), axis=1)


def rude_flags(checker: Checker, texts: Sequence[str]) -> np.ndarray:
    """Whether the rules find each text rude (any RUDE finding, whatever a caller selects); a blank
    text, which the checker refuses, is not."""
    return np.array(
        [bool(t.strip()) and checker.check(t).signals["rude"]["count"] > 0 for t in texts], dtype=bool
    )


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
            tone = None
            if view is not None and self.language_model is not None:
                self._merge_model(report, view, report_vague=wants_model_vague[i])
                rude = report.signals["rude"]["count"] > 0
                tone = tone_with_rule_evidence(view.tone, rude, self.language_model.rude_shift)
            report.extra["tone"] = tone
            report.extra["css"] = self.css.score(report.signals, report.matches, tone)
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

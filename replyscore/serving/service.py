"""What the routes share: settings, the model, the micro-batcher, metrics and keys."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import Depends, Request

from replyscore.model.categories import CATEGORIES, POLICY_CATEGORIES
from replyscore.model.checker import readable_replacement, slot_verbs
from replyscore.model.report import Report
from replyscore.model.rulebook import UnknownRuleError
from replyscore.model.scorer import Scorer, ScoreRequest
from replyscore.serving.batcher import MicroBatcher, Overloaded
from replyscore.serving.categories import NAMES
from replyscore.serving.check_cache import CheckCache
from replyscore.serving.errors import unavailable
from replyscore.serving.inflight import InFlight
from replyscore.serving.metrics import Metrics
from replyscore.serving.security import KeyChecker
from replyscore.serving.settings import Settings
from replyscore.serving.state import ModelHolder, ScorerFactory, load_scorer

Result = Report | Exception
log = logging.getLogger("replyscore.serving")


class Service:
    def __init__(self, settings: Settings, factory: ScorerFactory = load_scorer) -> None:
        self.settings = settings
        self.metrics = Metrics()
        self.keys = KeyChecker(settings)
        self.in_flight = InFlight()
        self.model = ModelHolder(settings, factory)
        self.model.on_loaded.append(self.metrics.model_loaded)
        self._batcher: MicroBatcher[ScoreRequest, Result] | None = None
        self._rules: dict[str, Any] | None = None
        self.suggestion_checks = CheckCache()  # reports of suggested texts (serving/suggestions.py)

    async def start(self) -> None:
        s = self.settings
        self._batcher = MicroBatcher(
            self._run,
            s.batch_max_size,
            s.batch_max_wait_ms / 1000,
            s.queue_max,
            self.metrics.observe_batch,
            self.in_flight,
        )
        batcher = self._batcher
        self.metrics.queue_depth.set_function(lambda: batcher.waiting)
        batcher.start()
        self.model.start()

    async def stop(self) -> None:
        if self._batcher is not None:
            await self._batcher.stop()

    @property
    def scorer(self) -> Scorer:
        scorer = self.model.scorer
        if scorer is None:
            error = self.model.error
            raise unavailable(
                "not_ready", f"the model failed to load: {error}" if error else "the model is loading"
            )
        return scorer

    def _run(self, requests: list[ScoreRequest]) -> list[Result]:
        """One model batch. Should it fail as a whole, its texts are scored one by one, so a text that
        breaks the model fails its own request only."""
        scorer = self.scorer
        try:
            return scorer.score_batch(requests)
        except Exception:
            if len(requests) == 1:
                raise
            log.exception("a batch of %d texts failed; scoring them one by one", len(requests))
            return [self._one(scorer, request) for request in requests]

    @staticmethod
    def _one(scorer: Scorer, request: ScoreRequest) -> Result:
        try:
            return scorer.score_batch([request])[0]
        except Exception as exc:
            return exc

    async def score(self, requests: list[ScoreRequest]) -> list[Result]:
        """Score through the micro-batcher; 503 while the model loads or when the queue is full."""
        _ = self.scorer  # 503 until the model is ready
        assert self._batcher is not None, "the service was not started"
        try:
            return await self._batcher.submit(requests)
        except Overloaded as exc:
            raise unavailable("overloaded", f"overloaded, retry later: {exc}") from exc

    def report(self, report: Report, debug: bool) -> dict[str, Any]:
        out = report.to_dict(debug=debug)
        out["model_version"] = self.scorer.version
        return out

    def text_too_long(self, text: str) -> str | None:
        limit = self.settings.max_text_chars
        return f"text is {len(text)} characters long; the limit is {limit}" if len(text) > limit else None

    def count_item_error(self, kind: str) -> None:
        self.metrics.errors.labels(f"item_{kind}").inc()

    def rules(self) -> dict[str, Any]:
        if self._rules is None:
            rulebook = self.scorer.checker.rulebook
            self._rules = {
                "rules": [
                    {
                        **r.public(),
                        "message": r.message,
                        "replacements": [readable_replacement(t) for t in r.replacements],
                        "replacement_templates": list(r.replacements),
                        "replacement_note": _verb_note(r.replacements),
                        "examples": {
                            "positive": list(r.positive_examples),
                            "negative": list(r.negative_examples),
                        },
                    }
                    for r in rulebook.rules
                ],
                "categories": [
                    {"id": c, "name": NAMES[c], "policy": c in POLICY_CATEGORIES} for c in CATEGORIES
                ],
            }
        return self._rules


def _verb_note(templates: tuple[str, ...]) -> str | None:
    verbs = list(dict.fromkeys(v for t in templates for v in slot_verbs(t)))
    if not verbs:
        return None
    quoted = ", ".join(f'"{v}"' for v in verbs)
    return f"{quoted} takes the form of the replaced verb (person, number, tense, mood)"


def error_kind(exc: Exception) -> str:
    """The kind of a bad item: the scorer hands back unknown rule ids and texts it cannot check as
    ValueErrors. Anything else is the service's own failure and is raised (a 500)."""
    if not isinstance(exc, ValueError):
        raise exc
    return "unknown_rule" if isinstance(exc, UnknownRuleError) else "invalid_text"


def get_service(request: Request) -> Service:
    service: Service = request.app.state.service
    return service


ServiceDep = Annotated[Service, Depends(get_service)]

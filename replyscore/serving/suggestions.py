"""Suggestions for a scored draft (`replyscore.model.rewrite.suggest`), made in a worker thread.

`suggest` re-checks every candidate text with the scorer. Here those checks go through the service's
micro-batcher, like any other request: they share model batches with live traffic, and the model
keeps running in its one thread. Candidates repeat from call to call (the same template filled with
the same deadline while an agent keeps typing), so their reports are kept in a small LRU cache.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Any

from replyscore.model.report import Report
from replyscore.model.rewrite import suggest
from replyscore.model.scorer import Scorer, ScoreRequest
from replyscore.model.templates import default_library
from replyscore.serving.check_cache import CheckCache
from replyscore.serving.schemas import ScoreInput
from replyscore.serving.service import Result, Service


class BatchedScorer(Scorer):
    """The service's scorer, scoring through its micro-batcher; for use from a worker thread only.
    `suggest` only reads the reports it gets, so cached ones are shared."""

    def __init__(self, service: Service, loop: asyncio.AbstractEventLoop, cache: CheckCache) -> None:
        scorer = service.scorer
        super().__init__(scorer.checker, scorer.language_model, scorer.css)
        self._owner = scorer  # the scorer the cached reports come from
        self._service = service
        self._loop = loop
        self._cache = cache

    def score_batch(self, requests: Sequence[ScoreRequest | str]) -> list[Result]:
        items = [ScoreRequest(r) if isinstance(r, str) else r for r in requests]
        results: list[Result | None] = [self._cached(item) for item in items]
        todo = [i for i, result in enumerate(results) if result is None]
        if todo:
            scored = asyncio.run_coroutine_threadsafe(
                self._service.score([items[i] for i in todo]), self._loop
            ).result()
            for i, result in zip(todo, scored, strict=True):
                results[i] = result
                if isinstance(result, Report) and self._cacheable(items[i]):
                    self._cache.put(self._owner, items[i].text, result)
        return [r for r in results if r is not None]

    @staticmethod
    def _cacheable(item: ScoreRequest) -> bool:
        return item.selection is None and not item.slots and item.customer_message is None

    def _cached(self, item: ScoreRequest) -> Report | None:
        return self._cache.get(self._owner, item.text) if self._cacheable(item) else None


def _context(body: ScoreInput) -> dict[str, Any]:
    context = body.context.for_suggestions() if body.context else {}
    if body.customer_message:
        context["customer_message"] = body.customer_message
    return context


def _with_titles(suggestions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    scenarios = default_library().scenarios
    for s in suggestions:
        scenario = s.get("scenario")
        if scenario and scenario["id"] in scenarios:
            scenario["title"] = scenarios[scenario["id"]].title
    return suggestions


async def suggestions(service: Service, body: ScoreInput, report: Report) -> list[dict[str, Any]]:
    """Fixes and rewrites for the draft of `body`, each re-checked; off the event loop."""
    scorer = BatchedScorer(service, asyncio.get_running_loop(), service.suggestion_checks)
    # the schema has checked everything the context holds: a failure here is the service's own (500)
    made = await asyncio.to_thread(suggest, report, _context(body), scorer)
    return _with_titles(made)

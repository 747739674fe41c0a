"""The LRU cache of suggestion re-checks."""

from __future__ import annotations

from replyscore.model.report import Report
from replyscore.model.scorer import Scorer
from replyscore.serving.check_cache import CheckCache

SCORER = Scorer()


def _report(text: str) -> Report:
    return Report(text, [], {})


def _texts(cache: CheckCache, scorer: Scorer, *texts: str) -> list[str | None]:
    return [r.text if (r := cache.get(scorer, t)) else None for t in texts]


def test_keeps_the_most_recently_used() -> None:
    cache = CheckCache(size=2)
    cache.put(SCORER, "a", _report("a"))
    cache.put(SCORER, "b", _report("b"))
    assert cache.get(SCORER, "a") is not None  # "a" is now the most recent
    cache.put(SCORER, "c", _report("c"))
    assert _texts(cache, SCORER, "a", "b", "c") == ["a", None, "c"]


def test_another_scorer_starts_afresh() -> None:
    cache = CheckCache()
    cache.put(SCORER, "a", _report("a"))
    reloaded = Scorer(SCORER.checker, css=SCORER.css)
    assert _texts(cache, reloaded, "a") == [None]
    assert _texts(cache, SCORER, "a") == [None]  # the old model's reports are gone for good

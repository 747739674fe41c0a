"""A small thread-safe LRU cache of reports, for the candidate texts suggestions are checked with."""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict

from replyscore.model.report import Report
from replyscore.model.scorer import Scorer

CACHE_SIZE = 2048


class CheckCache:
    """Reports of candidate texts checked with every rule and no slots, least recently used dropped.
    They belong to one scorer: a call with another one (a reloaded model) starts the cache afresh."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._reports: OrderedDict[str, Report] = OrderedDict()
        self._scorer: weakref.ref[Scorer] | None = None
        self._lock = threading.Lock()

    def _belong_to(self, scorer: Scorer) -> None:
        if self._scorer is None or self._scorer() is not scorer:
            self._reports.clear()
            self._scorer = weakref.ref(scorer)

    def get(self, scorer: Scorer, text: str) -> Report | None:
        with self._lock:
            self._belong_to(scorer)
            report = self._reports.get(text)
            if report is not None:
                self._reports.move_to_end(text)
            return report

    def put(self, scorer: Scorer, text: str, report: Report) -> None:
        with self._lock:
            self._belong_to(scorer)
            self._reports[text] = report
            self._reports.move_to_end(text)
            while len(self._reports) > self.size:
                self._reports.popitem(last=False)

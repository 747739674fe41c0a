"""What rules and detectors see of one text: its analysis, words per sentence and time expressions."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field
from functools import cached_property

from replyscore.model.report import TraceStep
from replyscore.model.text import Analysis, Sentence, Token
from replyscore.model.timeexpr import TimeExpression, find_time_expressions


@dataclass(frozen=True, slots=True)
class Candidate:
    """A span some rule wants to report, before exceptions and selection."""

    rule_id: str
    start: int
    end: int
    sentence: int
    trace: tuple[TraceStep, ...] = ()


@dataclass
class TextContext:
    analysis: Analysis
    _sentence_starts: list[int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._sentence_starts = [s.start for s in self.analysis.sentences]

    @property
    def text(self) -> str:
        return self.analysis.text

    @cached_property
    def words(self) -> list[list[Token]]:
        """Word tokens (no punctuation) of each sentence."""
        per_sentence: list[list[Token]] = [[] for _ in self.analysis.sentences]
        for token in self.analysis.tokens:
            if token.is_word:
                per_sentence[token.sentence].append(token)
        return per_sentence

    @cached_property
    def times(self) -> list[TimeExpression]:
        return find_time_expressions(self.text)

    def sentence_at(self, offset: int) -> int:
        return max(0, bisect_right(self._sentence_starts, offset) - 1)

    def sentence(self, index: int) -> Sentence:
        return self.analysis.sentences[index]

    def has_time(self, start: int, end: int) -> bool:
        return any(t.start < end and t.end > start for t in self.times)

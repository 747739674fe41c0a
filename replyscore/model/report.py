"""The report of one check, shaped like LanguageTool's matches. Offsets are Python code points."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, slots=True)
class TraceStep:
    """Why a match fired: the token, its lemma and the pattern element (or regex) it met."""

    token: str
    lemma: str
    element: str

    def to_dict(self) -> dict[str, str]:
        return {"token": self.token, "lemma": self.lemma, "element": self.element}


@dataclass(frozen=True, slots=True)
class Match:
    offset: int
    length: int
    text: str
    rule: dict[str, str]  # id, category, severity, description
    message: str
    replacements: tuple[str, ...] = ()
    source: str = "rule"  # "rule" or "model"
    trace: tuple[TraceStep, ...] = ()

    @property
    def end(self) -> int:
        return self.offset + self.length

    @property
    def category(self) -> str:
        return self.rule["category"]

    def to_dict(self, debug: bool = False) -> dict[str, Any]:
        out: dict[str, Any] = {
            "offset": self.offset,
            "length": self.length,
            "text": self.text,
            "rule": dict(self.rule),
            "message": self.message,
            "replacements": list(self.replacements),
            "source": self.source,
        }
        if debug:
            out["trace"] = [step.to_dict() for step in self.trace]
        return out


@dataclass(slots=True)
class Report:
    text: str
    matches: list[Match]
    signals: dict[str, Any]
    extra: dict[str, Any] = field(default_factory=dict)  # tone, css, suggestions, once computed
    active_rules: frozenset[str] = frozenset()  # the rules the caller selected (not serialised)

    @property
    def categories(self) -> set[str]:
        return {m.category for m in self.matches}

    def to_dict(self, debug: bool = False) -> dict[str, Any]:
        return {
            "offset_unit": "code_point",
            "text_length": len(self.text),
            "matches": [m.to_dict(debug) for m in self.matches],
            "signals": self.signals,
            **self.extra,
        }

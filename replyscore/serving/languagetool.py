"""LanguageTool's HTTP API (v2): its request parameters and its JSON answer.

LanguageTool is written in Java, so its offsets and lengths count UTF-16 code units: a character
outside the Basic Multilingual Plane (most emoji) counts 2. replyscore works in Python code points
and converts here. `data` (text with markup) is supported: markup is not checked, `interpretAs`
stands in for it, and offsets point into the text with its markup, as LanguageTool's do.
"""

from __future__ import annotations

import bisect
import json
import re
from dataclasses import dataclass
from itertools import accumulate

import razdel
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from replyscore.model.report import Match, Report
from replyscore.serving import SERVICE_VERSION
from replyscore.serving.categories import NAMES, issue_type
from replyscore.serving.errors import ServiceError

LANGUAGE = {"name": "Russian", "code": "ru", "longCode": "ru-RU"}
ACCEPTED_LANGUAGES = frozenset({"ru", "ru-ru", "auto"})
CONTEXT_CHARS = 40
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")
_LETTER = re.compile(r"[^\W\d_]")
_CYRILLIC = re.compile("[а-яёА-ЯЁ]")


class Utf16:
    """Code-point offsets of one text -> UTF-16 code-unit offsets."""

    def __init__(self, text: str) -> None:
        self._prefix = (
            list(accumulate((2 if ord(ch) > 0xFFFF else 1 for ch in text), initial=0))
            if _ASTRAL.search(text)
            else None
        )

    def __call__(self, offset: int) -> int:
        return offset if self._prefix is None else self._prefix[offset]


def utf16_len(text: str) -> int:
    return len(text) + len(_ASTRAL.findall(text))


# -- the text to check --------------------------------------------------------------------------


class AnnotationPart(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str | None = None
    markup: str | None = None
    interpretAs: str | None = None


class Annotation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    annotation: list[AnnotationPart]


@dataclass(frozen=True, slots=True)
class _Segment:
    plain_start: int
    plain_end: int
    start: int
    end: int
    literal: bool  # text maps character by character; markup maps as a whole


@dataclass(frozen=True)
class CheckText:
    """`plain` is what gets checked; `original` (text with markup) is what the client's offsets count."""

    plain: str
    original: str
    segments: tuple[_Segment, ...] = ()

    @classmethod
    def from_data(cls, data: str) -> CheckText:
        try:
            parts = Annotation.model_validate(json.loads(data)).annotation
        except (ValueError, ValidationError) as exc:
            raise ServiceError(400, "validation", f"invalid 'data' parameter: {exc}") from exc
        plain: list[str] = []
        original: list[str] = []
        segments = []
        p = o = 0
        for part in parts:
            if (part.text is None) == (part.markup is None) or (part.text is not None and part.interpretAs):
                raise ServiceError(
                    400,
                    "validation",
                    "invalid 'data' parameter: each annotation part needs "
                    "either 'text' or 'markup' (with an optional 'interpretAs')",
                )
            shown = part.text if part.text is not None else part.interpretAs or ""
            written = part.text if part.text is not None else part.markup or ""
            segments.append(_Segment(p, p + len(shown), o, o + len(written), part.text is not None))
            plain.append(shown)
            original.append(written)
            p += len(shown)
            o += len(written)
        return cls("".join(plain), "".join(original), tuple(segments))

    def start_in_original(self, pos: int) -> int:
        if not self.segments:
            return pos
        for s in self.segments:
            if s.plain_start <= pos < s.plain_end:
                return s.start + (pos - s.plain_start) if s.literal else s.start
        return len(self.original)

    def end_in_original(self, pos: int) -> int:
        if not self.segments:
            return pos
        for s in self.segments:
            if s.plain_start < pos <= s.plain_end:
                return s.start + (pos - s.plain_start) if s.literal else s.end
        return 0


def check_language(language: str) -> None:
    if language.strip().lower().replace("_", "-") not in ACCEPTED_LANGUAGES:
        raise ServiceError(
            400,
            "validation",
            f"unsupported language {language!r}: this service checks Russian only (ru-RU, ru or auto)",
        )


def split_ids(value: str | None) -> list[str]:
    return [v.strip() for v in (value or "").split(",") if v.strip()]


def cyrillic_share(text: str) -> float:
    letters = len(_LETTER.findall(text))
    return round(len(_CYRILLIC.findall(text)) / letters, 3) if letters else 0.0


# -- the answer ---------------------------------------------------------------------------------


def _context(text: str, start: int, end: int) -> dict[str, object]:
    lo = max(0, start - CONTEXT_CHARS)
    hi = min(len(text), end + CONTEXT_CHARS)
    prefix = "..." if lo > 0 else ""
    window = text[lo:hi].replace("\n", " ")
    return {
        "text": prefix + window + ("..." if hi < len(text) else ""),
        "offset": utf16_len(prefix + window[: start - lo]),
        "length": utf16_len(text[start:end]),
    }


class _Sentences:
    def __init__(self, text: str) -> None:
        spans = list(razdel.sentenize(text))
        self._starts = [s.start for s in spans]
        self._texts = [s.text.strip() for s in spans]

    def at(self, offset: int) -> str:
        return self._texts[bisect.bisect_right(self._starts, offset) - 1] if self._texts else ""


def _match(m: Match, source: CheckText, utf16: Utf16, sentences: _Sentences) -> dict[str, object]:
    start, end = source.start_in_original(m.offset), source.end_in_original(m.end)
    category = m.rule["category"]
    return {
        "message": m.message,
        "shortMessage": NAMES[category],
        "replacements": [{"value": r} for r in m.replacements],
        "offset": utf16(start),
        "length": utf16(end) - utf16(start),
        "context": _context(source.original, start, end),
        "sentence": sentences.at(m.offset),
        "type": {"typeName": "Hint" if m.rule["severity"] == "info" else "Other"},
        "rule": {
            "id": m.rule["id"],
            "description": m.rule["description"],
            "issueType": issue_type(category),
            "category": {"id": category, "name": NAMES[category]},
        },
        "ignoreForIncompleteSentence": False,
        "contextForSureMatch": 0,
    }


def check_response(report: Report, source: CheckText, auto: bool) -> dict[str, object]:
    utf16 = Utf16(source.original)
    sentences = _Sentences(source.plain) if report.matches else _Sentences("")
    confidence = cyrillic_share(source.plain) if auto else 1.0
    return {
        "software": {
            "name": "replyscore",
            "version": SERVICE_VERSION,
            "buildDate": "",
            "apiVersion": 1,
            "premium": False,
            "status": "",
        },
        "warnings": {"incompleteResults": False},
        "language": {
            "name": LANGUAGE["name"],
            "code": LANGUAGE["longCode"],
            "detectedLanguage": {
                "name": LANGUAGE["name"],
                "code": LANGUAGE["longCode"],
                "confidence": confidence,
            },
        },
        "matches": [_match(m, source, utf16, sentences) for m in report.matches],
    }


# -- schemas for the OpenAPI document -----------------------------------------------------------


class LtSoftware(BaseModel):
    name: str
    version: str
    buildDate: str
    apiVersion: int
    premium: bool
    status: str


class LtWarnings(BaseModel):
    incompleteResults: bool


class LtDetectedLanguage(BaseModel):
    name: str
    code: str
    confidence: float = Field(ge=0, le=1)


class LtLanguage(BaseModel):
    name: str
    code: str
    detectedLanguage: LtDetectedLanguage


class LtReplacement(BaseModel):
    value: str


class LtContext(BaseModel):
    text: str = Field(description="Up to 40 characters either side of the match; '...' where cut.")
    offset: int = Field(description="Start of the match in the context, in UTF-16 code units.")
    length: int


class LtType(BaseModel):
    typeName: str


class LtCategory(BaseModel):
    id: str
    name: str


class LtRule(BaseModel):
    id: str
    description: str
    issueType: str
    category: LtCategory


class LtMatch(BaseModel):
    message: str
    shortMessage: str
    replacements: list[LtReplacement]
    offset: int = Field(description="Start of the match in UTF-16 code units (emoji count 2).")
    length: int = Field(description="Length in UTF-16 code units.")
    context: LtContext
    sentence: str
    type: LtType
    rule: LtRule
    ignoreForIncompleteSentence: bool
    contextForSureMatch: int


class LtCheckResponse(BaseModel):
    software: LtSoftware
    warnings: LtWarnings
    language: LtLanguage
    matches: list[LtMatch]


class LtLanguageInfo(BaseModel):
    name: str
    code: str
    longCode: str

"""Recogniser of concrete Russian time expressions: what turns a promise into a commitment.

Concrete: dates ("1 декабря", "01.12", "01.12.2026"), clock times with or without МСК ("до 18:00 МСК",
"к 12 часам"), days ("сегодня", "завтра до 14:00", "в понедельник"), durations ("в течение 2 рабочих
дней", "за 3 часа", "через 2 дня"), limits ("не позднее 5 декабря", "до конца рабочего дня") and
ranges ("с 10:00 до 14:00", "3–5 рабочих дней"). Vague wording ("в ближайшее время", "скоро") is not.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_MONTH = r"(?:январ|феврал|март|апрел|ма[йя]|июн|июл|август|сентябр|октябр|ноябр|декабр)[а-я]*"
_NUMERAL = (
    r"(?:\d+(?:[.,]\d+)?|одн[а-я]*|дв[а-я]*|тр[её][а-я]*|четыр[а-я]*|пят[а-я]*|шест[а-я]*|сем[а-я]*|"
    r"восьм[а-я]*|девят[а-я]*|десят[а-я]*|полутора|пары)"
)
_UNIT = r"(?:рабоч[а-я]*\s+|календарн[а-я]*\s+|банковск[а-я]*\s+)?(?:минут|час|дн|день|сут|недел)[а-я]*"
_WEEKDAY = r"(?:понедельник|вторник|сред[ауы]|четверг|пятниц[ауы]|суббот[ауы]|воскресень[ея])"
_CLOCK = r"(?:[01]?\d|2[0-3])[:.][0-5]\d(?:\s*(?:мск|по\s+москве|по\s+московскому\s+времени))?"

# Kinds that always contain a digit run only on texts with a digit; the others ("сегодня",
# "в течение суток", "через 2 часа") always run.
_DIGIT_KINDS: tuple[tuple[str, str], ...] = (
    ("range", rf"\bс\s+{_CLOCK}\s+до\s+{_CLOCK}"),
    ("date", rf"\b\d{{1,2}}(?:\s*[-–—]\s*\d{{1,2}})?(?:-?го)?\s+{_MONTH}(?:\s+\d{{4}}(?:\s*г(?:ода|\.)?)?)?"),
    ("date", r"\b(?:0?[1-9]|[12]\d|3[01])[./](?:0[1-9]|1[0-2])(?:[./](?:\d{4}|\d{2}))?\b(?![.:]\d)"),
    ("clock", rf"(?<![\d.:]){_CLOCK}(?![\d.:]\d)"),
    ("clock", r"\b(?:до|к|в|не\s+позднее)\s+\d{1,2}\s*(?:час[а-я]*|ч\.?)(?:\s+(?:утра|дня|вечера))?"),
    ("duration", rf"\b\d+\s*(?:[-–—]\s*\d+\s*)?{_UNIT}"),
)
_WORD_KINDS: tuple[tuple[str, str], ...] = (
    ("day", r"\b(?:сегодня|завтра|послезавтра)\b"),
    ("day", rf"\b(?:в|во|до|к|не\s+позднее)\s+{_WEEKDAY}"),
    ("day", r"\bдо\s+конца\s+(?:сегодняшнего\s+|завтрашнего\s+)?(?:рабочего\s+)?(?:дня|недели|суток)"),
    (
        "duration",
        rf"\b(?:в\s+течение|за|через|не\s+более|не\s+дольше|до)\s+(?:{_NUMERAL}\s*(?:[-–—]\s*{_NUMERAL}\s*)?)?{_UNIT}",
    ),
    ("duration", r"\bв\s+течение\s+(?:суток|часа|дня|недели)\b"),
)


def _recogniser(kinds: tuple[tuple[str, str], ...]) -> re.Pattern[str]:
    return re.compile("|".join(f"(?P<{kind}{i}>{rx})" for i, (kind, rx) in enumerate(kinds)), re.IGNORECASE)


_DIGIT_RECOGNISER = _recogniser(_DIGIT_KINDS)
_WORD_RECOGNISER = _recogniser(_WORD_KINDS)
_DIGIT = re.compile(r"\d")


@dataclass(frozen=True, slots=True)
class TimeExpression:
    start: int
    end: int
    kind: str  # range | date | clock | day | duration
    text: str


def find_time_expressions(text: str) -> list[TimeExpression]:
    """All concrete time expressions in the text, left to right, non-overlapping (the earlier, then
    the longer one wins)."""
    recognisers = (_WORD_RECOGNISER, _DIGIT_RECOGNISER) if _DIGIT.search(text) else (_WORD_RECOGNISER,)
    matches = sorted(
        (m for rx in recognisers for m in rx.finditer(text)), key=lambda m: (m.start(), -m.end())
    )
    found: list[TimeExpression] = []
    for m in matches:
        if found and m.start() < found[-1].end:
            continue
        group = m.lastgroup or ""
        found.append(TimeExpression(m.start(), m.end(), group.rstrip("0123456789"), m.group()))
    return found

"""Service levels of support chats in business time (09:00–21:00 Moscow time on working days).

Definitions (docs/batch.md explains them with examples):
- A *customer turn* is a run of consecutive customer messages; its clock starts at its first message.
  The first agent message after it answers it. The chat's first turn gives the *first response*, later
  ones *next responses*. A turn made only of thanks or "ок" needs no reply and is left out.
- Response time is counted in business minutes: only working time between arrival and answer counts.
  A turn breaches the 2 h target when it was answered after more than 120 business minutes, or never
  answered once 120 business minutes have passed by `as_of`; before that it is *pending*.
- Response rate = answered turns / decided turns (pending ones left out); average response time is
  over answered turns.
- A chat is *resolved* when every turn needing a reply got one (or at its explicit `resolved_at`), at
  the last such answer; *resolved within 48 h* compares that with its first customer message in
  calendar hours. Chats still open but younger than 48 h at `as_of` are pending.
- A turn belongs to the agent who answered it; an unanswered turn and the chat's resolution belong to
  the chat's agent: its explicit `agent`, else whoever wrote most of its replies, else "(unassigned)".
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache
from typing import Any

import holidays

from replyscore.model.deadlines import WorkingCalendar, default_calendar, to_moscow

TARGET_MINUTES = 120
RESOLUTION_HOURS = 48
UNASSIGNED = "(unassigned)"
# metric: (comparison, target) from DESIGN.md
TARGETS: dict[str, tuple[str, float]] = {
    "response_rate": (">=", 0.98),
    "avg_response_hours": ("<=", 1.8),
    "resolved_48h": (">=", 0.92),
}
_ACK_WORDS = frozenset(
    [
        "спасибо",
        "спасибочки",
        "спс",
        "благодарю",
        "большое",
        "огромное",
        "вам",
        "ок",
        "окей",
        "ok",
        "okay",
        "хорошо",
        "понятно",
        "ясно",
        "отлично",
        "супер",
        "ага",
        "понял",
        "поняла",
        "договорились",
        "жду",
        "ждём",
    ]
)
_WORD = re.compile(r"[^\W\d_]+")


@dataclass(frozen=True, slots=True)
class ChatMessage:
    role: str  # customer | agent
    author: str | None
    at: datetime  # Moscow time
    text: str


@dataclass(frozen=True)
class Chat:
    id: str
    messages: tuple[ChatMessage, ...]
    agent: str | None = None
    resolved_at: datetime | None = None


@dataclass(frozen=True, slots=True)
class Turn:
    chat_id: str
    message_index: int  # index of its first message in the chat as given
    kind: str  # first | next
    arrived: datetime
    deadline: datetime
    agent: str
    answered: datetime | None
    minutes: float | None  # business minutes to the answer
    status: str  # ok | breach | pending
    reasons: tuple[str, ...] = ()  # codes: never_answered, late, before_closing, after_hours, non_working_day
    reason: str = ""

    def to_row(self) -> dict[str, Any]:
        return {
            "chat_id": self.chat_id,
            "message_index": self.message_index,
            "kind": self.kind,
            "agent": self.agent,
            "arrived": self.arrived.isoformat(),
            "deadline": self.deadline.isoformat(),
            "answered": self.answered.isoformat() if self.answered else "",
            "business_minutes": "" if self.minutes is None else round(self.minutes, 1),
            "status": self.status,
            "reasons": ",".join(self.reasons),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class Resolution:
    chat_id: str
    agent: str
    started: datetime
    resolved: datetime | None
    status: str  # within | late | open | pending

    @property
    def hours(self) -> float | None:
        return None if self.resolved is None else (self.resolved - self.started).total_seconds() / 3600


def business_minutes(start: datetime, end: datetime, calendar: WorkingCalendar | None = None) -> float:
    """Working minutes between two moments (0 when end is not after start)."""
    cal = calendar or default_calendar()
    start, end = to_moscow(start), to_moscow(end)
    total = 0.0
    day = start.date()
    while day <= end.date():
        if cal.is_working_day(day):
            opening = datetime.combine(day, cal.opening, tzinfo=start.tzinfo)
            closing = datetime.combine(day, cal.closing, tzinfo=start.tzinfo)
            overlap = (min(end, closing) - max(start, opening)).total_seconds()
            total += max(0.0, overlap) / 60
        day += timedelta(days=1)
    return total


def is_acknowledgement(text: str) -> bool:
    """Thanks or "ок" alone: a message that needs no reply."""
    words = _WORD.findall(text.lower())
    return bool(words) and all(w in _ACK_WORDS for w in words)


@cache
def _holiday_names() -> holidays.HolidayBase:
    return holidays.country_holidays("RU", language="en_US")


def _day_name(day: date) -> str:
    name = _holiday_names().get(day)
    return f"a holiday ({name})" if name else f"a weekend ({day:%a %d %b})"


def _context(arrived: datetime, until: datetime | None, cal: WorkingCalendar) -> list[tuple[str, str]]:
    """Why a breach may have happened: when the turn arrived, and days off before it was answered."""
    out = []
    day, clock = arrived.date(), arrived.time()
    if not cal.is_working_day(day):
        out.append(("non_working_day", f"arrived on {_day_name(day)}"))
    elif clock < cal.opening or clock >= cal.closing:
        out.append(("after_hours", f"arrived at {arrived:%H:%M}, outside working hours"))
    else:
        left = business_minutes(arrived, datetime.combine(day, cal.closing, tzinfo=arrived.tzinfo), cal)
        if left < TARGET_MINUTES:
            out.append(("before_closing", f"arrived at {arrived:%H:%M}, {left:.0f} min before closing"))
    if until is not None and cal.is_working_day(day):
        days_off = [d for d in _days_between(day, until.date()) if not cal.is_working_day(d)]
        if days_off:
            out.append(
                (
                    "non_working_day",
                    f"{len(days_off)} day(s) off before the answer: "
                    f"{', '.join(_day_name(d) for d in days_off[:3])}",
                )
            )
    return out


def _duration(minutes: float) -> str:
    return f"{minutes:.0f} min" if minutes < 600 else f"{minutes / 60:.0f} h"


def _days_between(first: date, last: date) -> Iterable[date]:
    day = first + timedelta(days=1)
    while day < last:
        yield day
        day += timedelta(days=1)


def chat_agent(chat: Chat) -> str:
    if chat.agent:
        return chat.agent
    authors = Counter(m.author or UNASSIGNED for m in chat.messages if m.role == "agent")
    return authors.most_common(1)[0][0] if authors else UNASSIGNED


def chat_turns(chat: Chat, as_of: datetime, calendar: WorkingCalendar | None = None) -> list[Turn]:
    """The customer turns of a chat that need a reply, with their response times and breaches."""
    cal = calendar or default_calendar()
    order = sorted(range(len(chat.messages)), key=lambda i: chat.messages[i].at)
    owner = chat_agent(chat)
    turns: list[Turn] = []
    start: int | None = None  # position in `order` of the open turn's first message
    needs_reply = False
    for pos, i in enumerate([*order, -1]):
        message = chat.messages[i] if i >= 0 else None
        if message is not None and message.role == "customer":
            if start is None:
                start, needs_reply = pos, False
            needs_reply |= not is_acknowledgement(message.text)
            continue
        if start is not None and needs_reply:
            answer = message if message is not None and message.role == "agent" else None
            turns.append(_turn(chat, order[start], answer, "next" if turns else "first", owner, as_of, cal))
        start = None
    return turns


def _turn(
    chat: Chat,
    index: int,
    answer: ChatMessage | None,
    kind: str,
    owner: str,
    as_of: datetime,
    cal: WorkingCalendar,
) -> Turn:
    arrived = chat.messages[index].at
    deadline = cal.add_working_time(arrived, timedelta(minutes=TARGET_MINUTES))
    if answer is None:
        waited = business_minutes(arrived, as_of, cal)
        if waited <= TARGET_MINUTES:
            return Turn(chat.id, index, kind, arrived, deadline, owner, None, None, "pending")
        context = _context(arrived, None, cal)
        reasons = [
            ("never_answered", f"never answered ({_duration(waited)} of business time without a reply)"),
            *context,
        ]
        return _breach(chat.id, index, kind, arrived, deadline, owner, None, None, reasons)
    minutes = business_minutes(arrived, answer.at, cal)
    agent = answer.author or owner
    if minutes <= TARGET_MINUTES:
        return Turn(chat.id, index, kind, arrived, deadline, agent, answer.at, minutes, "ok")
    reasons = [("late", f"answered after {minutes:.0f} business minutes"), *_context(arrived, answer.at, cal)]
    return _breach(chat.id, index, kind, arrived, deadline, agent, answer.at, minutes, reasons)


def _breach(
    chat_id: str,
    index: int,
    kind: str,
    arrived: datetime,
    deadline: datetime,
    agent: str,
    answered: datetime | None,
    minutes: float | None,
    reasons: list[tuple[str, str]],
) -> Turn:
    codes = tuple(dict.fromkeys(code for code, _ in reasons))
    return Turn(
        chat_id,
        index,
        kind,
        arrived,
        deadline,
        agent,
        answered,
        minutes,
        "breach",
        codes,
        "; ".join(text for _, text in reasons),
    )


def chat_resolution(chat: Chat, turns: Sequence[Turn], as_of: datetime) -> Resolution | None:
    """When the chat was resolved; None for a chat with no turn needing a reply."""
    if not turns:
        return None
    started, owner = turns[0].arrived, chat_agent(chat)
    resolved = chat.resolved_at
    if resolved is None and all(t.answered is not None for t in turns):
        resolved = max(t.answered for t in turns if t.answered is not None)
    limit = timedelta(hours=RESOLUTION_HOURS)
    if resolved is not None:
        return Resolution(
            chat.id, owner, started, resolved, "within" if resolved - started <= limit else "late"
        )
    return Resolution(chat.id, owner, started, None, "pending" if as_of - started < limit else "open")


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _mean_hours(minutes: list[float]) -> float | None:
    return round(sum(minutes) / len(minutes) / 60, 3) if minutes else None


def meets(metric: str, value: float | None) -> bool | None:
    if value is None:
        return None
    op, target = TARGETS[metric]
    return value >= target if op == ">=" else value <= target


@dataclass
class SlaSummary:
    group: str
    turns: list[Turn] = field(default_factory=list)
    resolutions: list[Resolution] = field(default_factory=list)

    def to_row(self) -> dict[str, Any]:
        decided = [t for t in self.turns if t.status != "pending"]
        answered = [t.minutes for t in self.turns if t.minutes is not None]
        first = [t.minutes for t in self.turns if t.minutes is not None and t.kind == "first"]
        later = [t.minutes for t in self.turns if t.minutes is not None and t.kind == "next"]
        decided_chats = [r for r in self.resolutions if r.status != "pending"]
        row: dict[str, Any] = {
            "group": self.group,
            "customer_turns": len(decided),
            "answered": sum(t.answered is not None for t in decided),
            "pending": len(self.turns) - len(decided),
            "breaches": sum(t.status == "breach" for t in decided),
            "within_2h": _share(sum(t.status == "ok" for t in decided), len(decided)),
            "response_rate": _share(sum(t.answered is not None for t in decided), len(decided)),
            "avg_response_hours": _mean_hours(answered),
            "avg_first_response_hours": _mean_hours(first),
            "avg_next_response_hours": _mean_hours(later),
            "chats": len(decided_chats),
            "resolved_48h": _share(sum(r.status == "within" for r in decided_chats), len(decided_chats)),
        }
        for metric in TARGETS:
            row[f"meets_{metric}"] = meets(metric, row[metric])
        return row


@dataclass
class SlaReport:
    as_of: datetime
    turns: list[Turn]
    resolutions: list[Resolution]

    @classmethod
    def build(
        cls, chats: Iterable[Chat], as_of: datetime | None = None, calendar: WorkingCalendar | None = None
    ) -> SlaReport:
        """SLA of the chats as of `as_of` (default: the latest message among them)."""
        chats = list(chats)
        if as_of is None:
            moments = [m.at for c in chats for m in c.messages]
            as_of = max(moments) if moments else datetime.now().astimezone()
        as_of = to_moscow(as_of)
        turns, resolutions = [], []
        for chat in chats:
            chat_turns_ = chat_turns(chat, as_of, calendar)
            turns.extend(chat_turns_)
            resolution = chat_resolution(chat, chat_turns_, as_of)
            if resolution is not None:
                resolutions.append(resolution)
        return cls(as_of, turns, resolutions)

    def overall(self) -> dict[str, Any]:
        return SlaSummary("overall", self.turns, self.resolutions).to_row()

    def by_agent(self) -> list[dict[str, Any]]:
        groups: dict[str, SlaSummary] = defaultdict(lambda: SlaSummary(""))
        for turn in self.turns:
            groups[turn.agent].turns.append(turn)
        for resolution in self.resolutions:
            groups[resolution.agent].resolutions.append(resolution)
        rows = []
        for agent in sorted(groups):
            groups[agent].group = agent
            rows.append(groups[agent].to_row())
        return rows

    def by_hour(self) -> list[dict[str, Any]]:
        """Turns by the Moscow hour they arrived in, and the share answered within 2 business hours."""
        rows = []
        for hour in range(24):
            decided = [t for t in self.turns if t.arrived.hour == hour and t.status != "pending"]
            ok = sum(t.status == "ok" for t in decided)
            rows.append(
                {
                    "hour": hour,
                    "customer_turns": len(decided),
                    "within_2h": ok,
                    "breaches": len(decided) - ok,
                    "share_within_2h": _share(ok, len(decided)),
                }
            )
        return rows

    def breaches(self) -> list[Turn]:
        return [t for t in self.turns if t.status == "breach"]

    def reason_counts(self) -> dict[str, int]:
        return dict(Counter(code for t in self.breaches() for code in t.reasons).most_common())

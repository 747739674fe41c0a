"""Deadlines in Moscow working hours, written the way customers read them.

A promise made at `now` is due `tier` of working time later, counting only 09:00–21:00 Moscow time on
working days. Working days come from the maintained `holidays` package: weekends, Russian public
holidays and the government's day-off transfers (a working Saturday counts). Time left at closing
carries over: 20:50 + 2 h is 10:50 on the next working day.

Rendering: "18:00 МСК сегодня", "12:00 МСК завтра", "11:00 МСК 2 декабря (пн)". This is the
`{deadline}` slot of rule replacements and templates, written after «до»: "ответим до {deadline}".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays

MSK = ZoneInfo("Europe/Moscow")
RESPONSE_TIERS: dict[str, timedelta] = {"standard": timedelta(hours=2), "premium": timedelta(minutes=15)}

MONTHS_GENITIVE = (
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
)
WEEKDAYS_SHORT = ("пн", "вт", "ср", "чт", "пт", "сб", "вс")


def to_moscow(moment: datetime | None = None) -> datetime:
    """Moscow time of an aware moment; a naive one is read as Moscow time; None is the current time."""
    if moment is None:
        return datetime.now(MSK)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=MSK)
    return moment.astimezone(MSK)


def parse_moment(value: str | datetime | None) -> datetime:
    """An ISO 8601 string (offset optional, naive = Moscow), a datetime or None (now) in Moscow time."""
    if isinstance(value, str):
        return to_moscow(datetime.fromisoformat(value))
    return to_moscow(value)


def tier_duration(tier: str | timedelta) -> timedelta:
    if isinstance(tier, timedelta):
        return tier
    try:
        return RESPONSE_TIERS[tier]
    except KeyError:
        raise ValueError(f"unknown response tier {tier!r}; known: {', '.join(RESPONSE_TIERS)}") from None


class WorkingCalendar:
    """Working days and hours (Moscow time)."""

    def __init__(
        self, opening: time = time(9), closing: time = time(21), calendar: holidays.HolidayBase | None = None
    ) -> None:
        if opening >= closing:
            raise ValueError("opening must be before closing")
        self.opening = opening
        self.closing = closing
        self._holidays = calendar if calendar is not None else holidays.country_holidays("RU")

    def is_working_day(self, day: date) -> bool:
        return bool(self._holidays.is_working_day(day))

    def _at(self, day: date, clock: time) -> datetime:
        return datetime.combine(day, clock, tzinfo=MSK)

    def next_working_moment(self, moment: datetime) -> datetime:
        """The moment itself inside working hours, else the next opening."""
        moment = to_moscow(moment)
        day = moment.date()
        if self.is_working_day(day) and moment < self._at(day, self.closing):
            return max(moment, self._at(day, self.opening))
        day += timedelta(days=1)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return self._at(day, self.opening)

    def add_working_time(self, start: datetime, duration: timedelta) -> datetime:
        """`start` plus `duration` of working time; time left at closing carries over."""
        if duration < timedelta(0):
            raise ValueError("duration must not be negative")
        moment = self.next_working_moment(start)
        left = duration
        while True:
            closing = self._at(moment.date(), self.closing)
            if moment + left <= closing:
                return moment + left
            left -= closing - moment
            moment = self.next_working_moment(closing)


_DEFAULT_CALENDAR: WorkingCalendar | None = None


def default_calendar() -> WorkingCalendar:
    global _DEFAULT_CALENDAR
    if _DEFAULT_CALENDAR is None:
        _DEFAULT_CALENDAR = WorkingCalendar()
    return _DEFAULT_CALENDAR


def _ceil_minute(moment: datetime) -> datetime:
    floor = moment.replace(second=0, microsecond=0)
    return floor if floor == moment else floor + timedelta(minutes=1)


def format_date(day: date) -> str:
    """A date as customers read it: "2 декабря (пн)"."""
    return f"{day.day} {MONTHS_GENITIVE[day.month - 1]} ({WEEKDAYS_SHORT[day.weekday()]})"


def format_moment(moment: datetime, now: datetime) -> str:
    """A moment relative to the Moscow date of `now`: "18:00 МСК сегодня", "12:00 МСК завтра",
    "11:00 МСК 2 декабря (пн)"."""
    moment, today = to_moscow(moment), to_moscow(now).date()
    clock = f"{moment:%H:%M} МСК"
    if moment.date() == today:
        return f"{clock} сегодня"
    if moment.date() == today + timedelta(days=1):
        return f"{clock} завтра"
    return f"{clock} {format_date(moment.date())}"


@dataclass(frozen=True, slots=True)
class Deadline:
    at: datetime  # Moscow time, whole minutes
    text: str  # "18:00 МСК сегодня": the {deadline} slot, read after «до»

    @property
    def phrase(self) -> str:
        return f"до {self.text}"


def response_deadline(
    now: datetime | None = None, tier: str | timedelta = "standard", calendar: WorkingCalendar | None = None
) -> Deadline:
    """When a reply promised at `now` is due under the response tier (standard 2 h, premium 15 min)."""
    start = to_moscow(now)
    at = _ceil_minute((calendar or default_calendar()).add_working_time(start, tier_duration(tier)))
    return Deadline(at, format_moment(at, start))


def calendar_deadline(now: datetime | None, hours: float) -> Deadline:
    """A deadline in calendar hours (warehouses work every day): "передадим в доставку до ..."."""
    start = to_moscow(now)
    at = _ceil_minute(start + timedelta(hours=hours))
    return Deadline(at, format_moment(at, start))

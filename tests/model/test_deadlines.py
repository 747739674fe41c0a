"""Deadlines in Moscow working hours: carry-over at closing, weekends, holidays, tiers, rendering."""

from datetime import UTC, datetime, timedelta

import pytest

from replyscore.model.deadlines import (
    MSK,
    WorkingCalendar,
    calendar_deadline,
    format_date,
    parse_moment,
    response_deadline,
)
from replyscore.model.timeexpr import find_time_expressions


def msk(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=MSK)


@pytest.mark.parametrize(
    ("now", "tier", "expected"),
    [
        ("2026-11-26 14:10", "standard", "16:10 МСК сегодня"),
        ("2026-11-26 19:00", "standard", "21:00 МСК сегодня"),  # due exactly at closing
        ("2026-11-26 20:50", "standard", "10:50 МСК завтра"),  # 10 min today, 1 h 50 min tomorrow
        ("2026-11-26 21:05", "standard", "11:00 МСК завтра"),  # after closing: the clock starts at 09:00
        ("2026-11-26 07:30", "standard", "11:00 МСК сегодня"),  # before opening
        ("2026-11-27 19:30", "standard", "09:30 МСК 30 ноября (пн)"),  # Friday evening -> Monday
        ("2026-11-28 12:00", "standard", "11:00 МСК 30 ноября (пн)"),  # Saturday
        ("2026-12-30 20:50", "standard", "10:50 МСК 11 января (пн)"),  # 31 Dec and 1-10 Jan are days off
        ("2026-03-06 20:00", "standard", "10:00 МСК 10 марта (вт)"),  # 8 March on a Sunday, 9th off
        ("2025-10-31 20:30", "standard", "10:30 МСК завтра"),  # Saturday 1 Nov 2025 was a working day
        ("2025-11-01 20:30", "standard", "10:30 МСК 5 ноября (ср)"),  # 3-4 Nov 2025 off
        ("2026-11-26 14:10", "premium", "14:25 МСК сегодня"),
        ("2026-11-26 20:50", "premium", "09:05 МСК завтра"),
        ("2026-11-27 20:55", "premium", "09:10 МСК 30 ноября (пн)"),
    ],
)
def test_response_deadline(now: str, tier: str, expected: str) -> None:
    assert response_deadline(msk(now), tier).text == expected


def test_unknown_tier() -> None:
    with pytest.raises(ValueError, match="unknown response tier"):
        response_deadline(msk("2026-11-26 10:00"), "gold")


def test_long_duration_spans_several_working_days() -> None:
    # 24 working hours from Thursday 10:00: Thu 11 h, Fri 12 h, Mon 1 h -> Monday 10:00.
    assert response_deadline(msk("2026-11-26 10:00"), timedelta(hours=24)).text == "10:00 МСК 30 ноября (пн)"


def test_seconds_round_up_to_the_next_minute() -> None:
    assert response_deadline(msk("2026-11-26 14:10:30")).text == "16:11 МСК сегодня"


def test_aware_and_naive_inputs() -> None:
    utc = datetime(2026, 11, 26, 17, 50, tzinfo=UTC)  # 20:50 in Moscow
    assert response_deadline(utc).text == "10:50 МСК завтра"
    assert parse_moment("2026-11-26T20:50:00") == msk("2026-11-26 20:50")  # naive reads as Moscow time
    assert parse_moment("2026-11-26T17:50:00Z") == msk("2026-11-26 20:50")
    assert response_deadline().at > datetime.now(MSK)


def test_deadline_is_always_inside_working_hours() -> None:
    calendar = WorkingCalendar()
    start = msk("2026-12-25 00:00")
    for step in range(0, 24 * 60 * 21, 37):  # three weeks across the New Year, every 37 minutes
        now = start + timedelta(minutes=step)
        for tier in ("standard", "premium"):
            at = response_deadline(now, tier, calendar).at
            assert calendar.is_working_day(at.date())
            assert at.replace(hour=9, minute=0) < at <= at.replace(hour=21, minute=0)
            assert at > now


def test_rendered_deadline_is_a_concrete_time_expression() -> None:
    for now in ("2026-11-26 14:10", "2026-11-26 20:50", "2026-12-30 20:50"):
        phrase = response_deadline(msk(now)).phrase
        found = find_time_expressions(phrase)
        assert found and found[0].start == phrase.index(phrase.split()[1])


def test_calendar_deadline_and_dates() -> None:
    assert calendar_deadline(msk("2026-11-26 20:50"), 24).text == "20:50 МСК завтра"
    assert format_date(msk("2026-12-02 00:00").date()) == "2 декабря (ср)"

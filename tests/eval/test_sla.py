"""SLA in business time: 09:00–21:00 Moscow time on working days (Russian calendar with transfers)."""

from __future__ import annotations

from datetime import datetime

import pytest

from replyscore.eval.sla import (
    TARGETS,
    Chat,
    ChatMessage,
    SlaReport,
    business_minutes,
    chat_resolution,
    chat_turns,
    is_acknowledgement,
)
from replyscore.model.deadlines import parse_moment

# Nov 2024: Fri 1 working, Sat 2 a working Saturday (transfer), Sun 3 off, Mon 4 Unity Day, Tue 5 working.


def at(text: str) -> datetime:
    return parse_moment(text if "+" in text else text + "+03:00")


def chat(
    *messages: tuple[str, str, str, str],
    chat_id: str = "c1",
    agent: str | None = None,
    resolved_at: datetime | None = None,
) -> Chat:
    parsed = tuple(ChatMessage(role, author, at(when), text) for role, author, when, text in messages)
    return Chat(chat_id, parsed, agent, resolved_at)


def cust(when: str, text: str = "Где мой заказ?") -> tuple[str, str, str, str]:
    return ("customer", "Мария", when, text)


def reply(when: str, name: str = "Анна", text: str = "Заказ приедет 5 ноября.") -> tuple[str, str, str, str]:
    return ("agent", name, when, text)


@pytest.mark.parametrize(
    ("start", "end", "minutes"),
    [
        ("2024-11-01T10:00", "2024-11-01T11:30", 90),
        ("2024-11-01T20:30", "2024-11-02T09:45", 75),  # closing, then the working Saturday's opening
        ("2024-11-02T20:00", "2024-11-05T10:00", 120),  # Sunday and Unity Day do not count
        ("2024-11-03T12:00", "2024-11-03T18:00", 0),  # all on a Sunday
        ("2024-11-01T06:00", "2024-11-01T08:59", 0),  # before opening
        ("2024-11-01T10:00", "2024-11-01T09:00", 0),  # end before start
        ("2024-12-28T10:00", "2025-01-09T10:00", 11 * 60 + 60),  # working Sat 28 Dec, then New Year holidays
    ],
)
def test_business_minutes(start: str, end: str, minutes: float) -> None:
    assert business_minutes(at(start), at(end)) == pytest.approx(minutes)


def test_business_minutes_read_offsets_as_moments() -> None:
    # 15:00 in Beijing is 10:00 in Moscow
    assert business_minutes(parse_moment("2024-11-01T15:00:00+08:00"), at("2024-11-01T11:00")) == 60


def test_acknowledgements_need_no_reply() -> None:
    assert is_acknowledgement("Спасибо!") and is_acknowledgement("Ок, спасибо большое 🙂")
    assert not is_acknowledgement("Спасибо, а когда вернут деньги?") and not is_acknowledgement("👍")


AS_OF = at("2024-11-08T20:00")


def test_first_and_next_responses_and_acknowledgement_turns() -> None:
    c = chat(
        cust("2024-11-01T10:00"),
        cust("2024-11-01T10:05", "Вы тут?"),
        reply("2024-11-01T10:30"),
        cust("2024-11-01T11:00", "А точнее?"),
        reply("2024-11-01T11:20"),
        cust("2024-11-01T11:30", "Спасибо!"),
    )
    turns = chat_turns(c, AS_OF)
    assert [(t.kind, t.message_index, t.minutes, t.status) for t in turns] == [
        ("first", 0, 30, "ok"),
        ("next", 3, 20, "ok"),
    ]
    resolution = chat_resolution(c, turns, AS_OF)
    assert (
        resolution is not None
        and resolution.status == "within"
        and resolution.hours == pytest.approx(1 + 20 / 60)
    )


def test_late_answer_before_closing_and_over_days_off() -> None:
    # arrives Sat 2 Nov (working) at 20:00: 60 working minutes left, then Sunday and Unity Day
    c = chat(cust("2024-11-02T20:00"), reply("2024-11-05T10:30"))
    (turn,) = chat_turns(c, AS_OF)
    assert turn.status == "breach" and turn.minutes == 150
    assert turn.reasons == ("late", "before_closing", "non_working_day")
    assert "answered after 150 business minutes" in turn.reason
    assert "Unity Day" in turn.reason and "60 min before closing" in turn.reason
    assert turn.deadline == at("2024-11-05T10:00")


def test_weekend_arrival_is_measured_from_the_next_opening() -> None:
    ok = chat(cust("2024-11-03T14:00"), reply("2024-11-05T10:59"))
    late = chat(cust("2024-11-03T14:00"), reply("2024-11-05T11:30"))
    assert chat_turns(ok, AS_OF)[0].status == "ok"
    (turn,) = chat_turns(late, AS_OF)
    assert turn.status == "breach" and turn.reasons[:2] == ("late", "non_working_day")
    assert "arrived on a weekend" in turn.reason


def test_answer_after_closing_counts_only_working_time() -> None:
    (turn,) = chat_turns(chat(cust("2024-11-01T20:00"), reply("2024-11-01T22:30")), AS_OF)
    assert turn.minutes == 60 and turn.status == "ok"


def test_never_answered_is_a_breach_once_two_business_hours_pass_else_pending() -> None:
    c = chat(cust("2024-11-08T15:00"), reply("2024-11-08T15:10"), cust("2024-11-08T19:30", "А трек?"))
    first, second = chat_turns(c, AS_OF)  # as of 20:00: 30 business minutes waited
    assert first.status == "ok" and second.status == "pending" and second.agent == "Анна"
    assert chat_resolution(c, [first, second], AS_OF).status == "pending"  # type: ignore[union-attr]
    later = at("2024-11-11T12:00")  # Monday: 90 + 180 business minutes waited
    _, second = chat_turns(c, later)
    assert second.status == "breach" and second.reasons[0] == "never_answered"
    assert "270 min of business time" in second.reason and "90 min before closing" in second.reason
    assert chat_resolution(c, chat_turns(c, later), later).status == "open"  # type: ignore[union-attr]


def test_resolution_is_late_after_48_calendar_hours_and_explicit_resolved_at_wins() -> None:
    c = chat(
        cust("2024-11-01T10:00"),
        reply("2024-11-01T10:10"),
        cust("2024-11-05T10:00", "Так и не пришло"),
        reply("2024-11-05T10:20"),
    )
    assert chat_resolution(c, chat_turns(c, AS_OF), AS_OF).status == "late"  # type: ignore[union-attr]
    closed = chat(cust("2024-11-01T10:00"), reply("2024-11-01T10:10"), resolved_at=at("2024-11-01T12:00"))
    res = chat_resolution(closed, chat_turns(closed, AS_OF), AS_OF)
    assert res is not None and res.status == "within" and res.hours == 2


def test_summary_metrics_targets_and_agents() -> None:
    chats = [
        chat(cust("2024-11-01T10:00"), reply("2024-11-01T10:30", "Анна"), chat_id="a"),  # 30 min
        chat(cust("2024-11-01T10:00"), reply("2024-11-01T14:00", "Олег"), chat_id="b"),  # 240 min
        chat(cust("2024-11-01T10:00"), chat_id="c", agent="Олег"),  # never answered, owner Олег
        chat(cust("2024-11-01T12:00", "Спасибо"), chat_id="d"),  # nothing to answer
    ]
    sla = SlaReport.build(chats, as_of=AS_OF)
    overall = sla.overall()
    assert overall["customer_turns"] == 3 and overall["answered"] == 2 and overall["breaches"] == 2
    assert overall["response_rate"] == pytest.approx(0.6667, abs=1e-4)
    assert overall["avg_response_hours"] == pytest.approx(135 / 60, abs=1e-3)
    assert overall["within_2h"] == pytest.approx(0.3333, abs=1e-4)
    assert overall["chats"] == 3 and overall["resolved_48h"] == pytest.approx(0.6667, abs=1e-4)
    assert overall["meets_response_rate"] is False and overall["meets_avg_response_hours"] is False
    agents = {row["group"]: row for row in sla.by_agent()}
    assert set(agents) == {"Анна", "Олег"}
    assert agents["Анна"]["response_rate"] == 1.0 and agents["Анна"]["meets_response_rate"] is True
    assert agents["Олег"]["customer_turns"] == 2 and agents["Олег"]["answered"] == 1
    hour10 = sla.by_hour()[10]
    assert hour10["customer_turns"] == 3 and hour10["within_2h"] == 1
    assert sla.reason_counts() == {"late": 1, "never_answered": 1}
    assert set(TARGETS) == {"response_rate", "avg_response_hours", "resolved_48h"}


def test_default_as_of_is_the_last_message() -> None:
    sla = SlaReport.build([chat(cust("2024-11-01T10:00"), reply("2024-11-01T10:30"))])
    assert sla.as_of == at("2024-11-01T10:30")

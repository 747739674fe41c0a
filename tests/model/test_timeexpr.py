import pytest

from replyscore.model.timeexpr import find_time_expressions

CONCRETE = [
    ("до 18:00 МСК сегодня", "clock"),
    ("завтра до 12:00", "day"),
    ("в течение 2 рабочих дней", "duration"),
    ("не позднее 5 декабря", "date"),
    ("с 10:00 до 14:00", "range"),
    ("3–5 рабочих дней", "duration"),
    ("01.12.2026", "date"),
    ("к 12 часам", "clock"),
    ("в понедельник", "day"),
    ("через 2 часа", "duration"),
    ("до конца рабочего дня", "day"),
    ("в течение суток", "duration"),
]


@pytest.mark.parametrize(("text", "kind"), CONCRETE)
def test_concrete_time_expressions(text: str, kind: str) -> None:
    found = find_time_expressions(text)
    assert found and found[0].kind == kind


@pytest.mark.parametrize(
    "text",
    [
        "в ближайшее время",
        "как можно скорее",
        "номер заказа 12345678-0001-1",
        "стоимость 1.5 тыс. руб.",
        "скоро",
    ],
)
def test_not_time_expressions(text: str) -> None:
    assert find_time_expressions(text) == []

"""Suggestions: local fixes and template rewrites; none may carry a VAGUE, NO_DEADLINE or policy finding."""

import json
from pathlib import Path
from typing import Any

import pytest

from replyscore.model.checker import Checker
from replyscore.model.library_check import GRID_TIMES, context_grid
from replyscore.model.rewrite import FORBIDDEN, suggest
from replyscore.model.scorer import Scorer
from replyscore.model.templates import default_library

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "replies.jsonl"
CHECKER = Checker()  # the one suggestions are made with
JUDGE = Checker()  # an independent one that re-checks them here
THURSDAY = "2026-11-26T14:10:00+03:00"


def _bad_drafts() -> list[dict[str, Any]]:
    if not SAMPLES.exists():
        return []
    rows = [json.loads(line) for line in SAMPLES.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [r for r in rows if r.get("must")]


def _forbidden(text: str) -> list[str]:
    return [f"{m.rule['id']} «{m.text}»" for m in JUDGE.check(text).matches if m.category in FORBIDDEN]


def _suggest(text: str, context: dict[str, Any] | None = None, now: str = THURSDAY) -> list[dict[str, Any]]:
    return suggest(CHECKER.check(text), context or {}, CHECKER, now)


def _fix(text: str, context: dict[str, Any] | None = None, now: str = THURSDAY) -> str:
    fixes = [s for s in _suggest(text, context, now) if s["kind"] == "fix"]
    assert len(fixes) == 1, f"no fix for {text!r}"
    return str(fixes[0]["text"])


BAD = _bad_drafts()


@pytest.mark.skipif(not BAD, reason="data/samples/replies.jsonl has no bad drafts yet")
@pytest.mark.parametrize("index", range(len(BAD)), ids=[str(r.get("id", i)) for i, r in enumerate(BAD)])
def test_no_suggestion_for_a_bad_draft_carries_a_forbidden_finding(index: int) -> None:
    draft = BAD[index]
    context = {"now": GRID_TIMES[index % len(GRID_TIMES)], "tier": ("standard", "premium")[index % 2]}
    suggestions = suggest(CHECKER.check(draft["text"]), context, CHECKER)
    assert any(s["kind"] == "rewrite" for s in suggestions)
    for s in suggestions:
        assert not _forbidden(s["text"]), (s["kind"], s["text"], _forbidden(s["text"]))
        assert s["text"] != draft["text"]


def test_rewrites_over_the_context_grid_pass_and_use_only_approved_templates() -> None:
    library = default_library()
    drafts = ["Постараемся отправить заказ в ближайшее время!!!", "Где ваш заказ, мы не знаем."]
    messages = [None, "Где мой заказ?", "Заказ задерживается уже неделю", "Пришла разбитая кружка"]
    checked: set[str] = set()
    for i, context in enumerate(list(context_grid())[::3]):
        context = {**context, "customer_message": messages[i % len(messages)]}
        for s in suggest(CHECKER.check(drafts[i % 2]), context, CHECKER):
            if s["kind"] == "rewrite":
                assert library.get(s["template_id"]).approved
            if s["text"] not in checked:
                checked.add(s["text"])
                assert not _forbidden(s["text"]), s["text"]
                assert "{" not in s["text"] and "[" not in s["text"] and "None" not in s["text"]
    assert len(checked) > 50


def test_suggestion_shape() -> None:
    suggestions = _suggest("Ответим вам в ближайшее время.", {"customer_message": "Где мой заказ?"})
    fix, rewrite = suggestions
    assert fix["kind"] == "fix" and set(fix) == {"kind", "text", "css_after", "changes"}
    assert fix["changes"][0] == {
        "action": "replace",
        "rule_id": "VAGUE_TIME",
        "category": "VAGUE",
        "before": "в ближайшее время",
        "after": "до 16:10 МСК сегодня",
        "offset": 12,
        "length": 17,
    }
    assert rewrite["kind"] == "rewrite" and rewrite["template_id"] == "where_is_order.check"
    assert rewrite["scenario"]["id"] == "where_is_order" and rewrite["scenario"]["confident"]
    assert isinstance(rewrite["css_after"], float) and rewrite["template_version"] == 1


@pytest.mark.parametrize(
    ("draft", "now", "expected"),
    [
        ("Ответим вам в ближайшее время.", THURSDAY, "Ответим вам до 16:10 МСК сегодня."),
        ("Ответим вам в ближайшее время.", "2026-11-26T20:50:00+03:00", "Ответим вам до 10:50 МСК завтра."),
        ("Мы проверим заказ и сообщим.", THURSDAY, "Мы проверим заказ и сообщим до 16:10 МСК сегодня."),
        ("Постараемся ответить как можно скорее.", THURSDAY, "Ответим до 16:10 МСК сегодня."),
        (
            "Мы постараемся ускорить доставку.",
            THURSDAY,
            "Мы проверим, можно ли ускорить доставку, и ответим до 16:10 МСК сегодня.",
        ),
        (
            "Заменим товар как можно скорее.",
            THURSDAY,
            "Заменим товар. Точный срок сообщим до 16:10 МСК сегодня.",
        ),
        ("Заказ в пути. Дарим скидку 10% на следующий заказ по промокоду SALE.", THURSDAY, "Заказ в пути."),
        (
            "СРОЧНО пришлите фото товара!!! Ответим до 18:00 МСК сегодня.",
            THURSDAY,
            "Срочно пришлите фото товара! Ответим до 18:00 МСК сегодня.",
        ),
        (
            "Спасибо, что написали) Заказ передан в доставку 2 декабря. Напишите нам в WhatsApp.",
            THURSDAY,
            "Спасибо, что написали. Заказ передан в доставку 2 декабря.",
        ),
    ],
)
def test_local_fixes(draft: str, now: str, expected: str) -> None:
    assert _fix(draft, now=now) == expected


def test_only_the_first_apology_is_kept() -> None:
    text = _fix(
        "Извините за задержку. Приносим свои извинения за неудобства. Заказ передан в доставку 2 декабря."
    )
    assert text == "Извините за задержку. Заказ передан в доставку 2 декабря."
    assert _fix("Извините за ожидание. К сожалению, заказ задерживается на складе. Ответим чуть позже.") == (
        "Извините за ожидание. Заказ задерживается на складе. Ответим до 16:10 МСК сегодня."
    )


def test_a_refusal_becomes_the_next_step_of_the_scenario() -> None:
    text = _fix(
        "Мы не можем принять возврат. Спасибо за обращение.", {"customer_message": "Как вернуть товар?"}
    )
    assert text.startswith("Мы проверим, какие варианты возврата или обмена доступны")
    assert "до 16:10 МСК сегодня" in text


def test_a_draft_of_only_violations_gets_rewrites_but_no_fix() -> None:
    suggestions = _suggest("Пишите в Telegram @shop, там ответим.")
    assert [s["kind"] for s in suggestions if s["kind"] == "fix"] == []
    assert suggestions


@pytest.mark.parametrize(
    ("context", "template_id", "must_contain"),
    [
        (
            {"order_id": "FBO-48213975-0001", "status": "Packed"},
            "where_is_order.packed_ozon_warehouse",
            ["складе Ozon", "до 14:10 МСК завтра"],
        ),
        (
            {"order_id": "FBS-30571846-0003", "status": "Packed", "track": "RU123456789CN"},
            "where_is_order.packed_seller",
            ["Мы собрали заказ FBS-30571846-0003", "RU123456789CN"],
        ),
        (
            {"order_id": "rFBS-71623490-0007", "status": "Shipped", "eta": "2026-12-02"},
            "where_is_order.in_transit_eta",
            ["2 декабря (ср)"],
        ),
        (
            {"order_id": "FBO-1", "status": "In transit"},
            "where_is_order.in_transit",
            ["до 16:10 МСК сегодня"],
        ),
        (
            {"status": "At pickup point", "pickup_until": "2026-12-05"},
            "where_is_order.at_pickup_point",
            ["до 5 декабря (сб) включительно"],
        ),
        (
            {"status": "Delivered", "customer_name": "Марина"},
            "where_is_order.delivered",
            ["Здравствуйте, Марина."],
        ),
        ({"status": "Delayed", "eta": "2026-12-04"}, "delivery_delay.new_eta", ["4 декабря (пт)"]),
        ({"status": "In transit", "eta": "2026-11-20"}, "delivery_delay.check", ["до 16:10 МСК сегодня"]),
        ({}, "where_is_order.check", ["Мы проверим, где сейчас заказ, и ответим"]),
    ],
)
def test_logistics_decision_tree(context: dict[str, Any], template_id: str, must_contain: list[str]) -> None:
    rewrites = [
        s
        for s in _suggest("Заказ в пути, скоро будет.", {**context, "customer_message": "Где мой заказ?"})
        if s["kind"] == "rewrite"
    ]
    assert rewrites[0]["template_id"] == template_id, rewrites[0]["text"]
    for part in must_contain:
        assert part in rewrites[0]["text"]


def test_missing_order_id_and_name_read_naturally() -> None:
    rewrite = next(
        s
        for s in _suggest("Ответим позже.", {"customer_message": "Пришёл не тот цвет, перепутали"})
        if s["kind"] == "rewrite"
    )
    assert rewrite["template_id"] == "wrong_item.photos"
    assert rewrite["text"].startswith("Здравствуйте. Приносим извинения за путаницу. Пришлите")
    assert "в течение 2 часов" in rewrite["text"]


def test_uncertain_scenario_offers_several_rewrites() -> None:
    rewrites = [s for s in _suggest("Добрый день, ответим позже.") if s["kind"] == "rewrite"]
    assert len(rewrites) >= 2
    assert all(not r["scenario"]["confident"] for r in rewrites)
    assert len({r["template_id"] for r in rewrites}) == len(rewrites)


def test_premium_tier_and_scorer_engine() -> None:
    report = Scorer(checker=CHECKER).score("Ответим вам в ближайшее время.")
    suggestions = suggest(report, {"tier": "premium", "now": THURSDAY}, Scorer(checker=CHECKER))
    assert suggestions[0]["text"] == "Ответим вам до 14:25 МСК сегодня."
    assert all(s["css_after"] is not None for s in suggestions)

"""The logistics decision tree: what the order's scheme and status say, and the slots they fill.

The order id prefix names the fulfilment scheme (FBO: shipped from the marketplace's warehouse; FBS:
from the seller's warehouse; rFBS: delivered by the seller's own carrier); the status
(Packed, Shipped, In transit, At pickup point, Delivered, Delayed) picks the template through its
`when` conditions. Packed: handed to delivery within 24 hours. Shipped / in transit: the expected
delivery date from the context. An expected date already past is not promised again: the order counts
as delayed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from replyscore.model.deadlines import (
    WorkingCalendar,
    calendar_deadline,
    format_date,
    response_deadline,
    tier_duration,
)

PACKED_SHIPS_WITHIN_HOURS = 24
LOGISTICS_SCENARIOS = frozenset({"where_is_order", "delivery_delay"})

_PREFIX = re.compile(r"^\s*(rFBS|FBO|FBS)(?![A-Za-z])", re.IGNORECASE)
_SCHEMES = {"rfbs": "rFBS", "fbo": "FBO", "fbs": "FBS"}
_STATUS_ALIASES = {
    "packed": "packed",
    "собран": "packed",
    "упакован": "packed",
    "awaiting_deliver": "packed",
    "shipped": "shipped",
    "отправлен": "shipped",
    "передан в доставку": "shipped",
    "in_transit": "in_transit",
    "в пути": "in_transit",
    "delivering": "in_transit",
    "at_pickup_point": "at_pickup_point",
    "в пункте выдачи": "at_pickup_point",
    "arrived": "at_pickup_point",
    "delivered": "delivered",
    "доставлен": "delivered",
    "вручён": "delivered",
    "получен": "delivered",
    "delayed": "delayed",
    "задерживается": "delayed",
    "задержан": "delayed",
}


def fulfilment_of(order_id: str | None, scheme: str | None = None) -> str | None:
    """FBO / FBS / rFBS from an explicit scheme or the order id prefix ("FBO-12345678-0001")."""
    for value in (scheme, order_id):
        if value:
            m = _PREFIX.match(value)
            if m:
                return _SCHEMES[m.group(1).lower()]
    return None


def _status_key(status: str) -> str:
    return re.sub(r"[\s_-]+", " ", status.strip().lower()).replace("ё", "е")


_STATUSES = {_status_key(alias): value for alias, value in _STATUS_ALIASES.items()}


def normalise_status(status: str | None) -> str | None:
    """A status in any spelling ("In transit", "IN_TRANSIT", "в пути") as "in_transit"; unknown: None."""
    return _STATUSES.get(_status_key(status)) if status else None


def _as_date(value: object) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    if isinstance(value, str):
        try:
            return date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


def _date_slot(value: object) -> tuple[date | None, str | None]:
    """An ISO date (or date) becomes "2 декабря (ср)"; other text is kept as written."""
    day = _as_date(value)
    if day is not None:
        return day, format_date(day)
    text = str(value).strip() if value is not None else ""
    return None, text or None


def _genitive_duration(duration: timedelta) -> str:
    """A duration read after «в течение»: "2 часов", "1 часа", "15 минут", "21 минуты"."""
    minutes = int(duration.total_seconds() // 60)
    n, forms = (minutes // 60, ("часа", "часов")) if minutes % 60 == 0 else (minutes, ("минуты", "минут"))
    return f"{n} {forms[0] if n % 10 == 1 and n % 100 != 11 else forms[1]}"


@dataclass(frozen=True)
class OrderFacts:
    order_id: str | None
    fulfilment: str | None
    status: str | None
    eta: date | None
    eta_text: str | None

    def conditions(self) -> dict[str, str | None]:
        """What template `when` conditions look at."""
        return {"status": self.status, "fulfilment": self.fulfilment}


def order_facts(context: Mapping[str, Any], today: date) -> OrderFacts:
    order_id = str(context.get("order_id") or "").strip() or None
    status = normalise_status(context.get("status"))
    eta, eta_text = _date_slot(context.get("eta"))
    if eta is not None and eta < today and status in {"packed", "shipped", "in_transit", "delayed"}:
        eta, eta_text, status = None, None, "delayed"
    return OrderFacts(order_id, fulfilment_of(order_id, context.get("scheme")), status, eta, eta_text)


def logistics_scenario(scenario: str, facts: OrderFacts) -> str:
    """The status overrides where-is-my-order vs delivery-delay: a delayed order is a delay, a delivered
    or waiting one is a where-is-my-order answer."""
    if scenario not in LOGISTICS_SCENARIOS or facts.status is None:
        return scenario
    if facts.status == "delayed":
        return "delivery_delay"
    if facts.status in {"at_pickup_point", "delivered"}:
        return "where_is_order"
    return scenario


def fill_slots(
    context: Mapping[str, Any], facts: OrderFacts, now: datetime, calendar: WorkingCalendar | None = None
) -> dict[str, str | None]:
    """Every slot the context allows: deadlines from `now` and the response tier, order data, dates."""
    tier = context.get("tier") or "standard"
    _, pickup_until = _date_slot(context.get("pickup_until"))
    _, refund_by = _date_slot(context.get("refund_by"))
    return {
        "customer_name": str(context.get("customer_name") or "").strip() or None,
        "order_id": facts.order_id,
        "deadline": response_deadline(now, tier, calendar).text,
        "reply_within": _genitive_duration(tier_duration(tier)),
        "ship_by": calendar_deadline(now, PACKED_SHIPS_WITHIN_HOURS).text,
        "eta": facts.eta_text,
        "track": str(context.get("track") or "").strip() or None,
        "pickup_until": pickup_until,
        "refund_by": refund_by,
        "return_period": str(context.get("return_period") or "").strip() or None,
    }

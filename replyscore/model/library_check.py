"""Checks of the whole template library, through the same rendering path as suggestions.

- every approved template renders in some context of the grid and, rendered over the whole grid,
  has no rule finding at all but one apology (drafts: reported as warnings);
- every scenario's next step renders and passes the same way;
- every labelled customer message of a scenario is detected as that scenario.
The grid covers the hard cases for deadlines (20:50 and 21:05 Moscow time, a Friday evening, the eves
of the New Year and 8 March holidays), both response tiers, every order status and fulfilment scheme,
and missing values (no order id, no customer name, no expected date).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from itertools import product
from typing import Any

from replyscore.model.checker import Checker
from replyscore.model.deadlines import parse_moment
from replyscore.model.logistics import fill_slots, order_facts
from replyscore.model.scenario import ScenarioModel, detect_scenario
from replyscore.model.templates import CONDITIONS, TemplateLibrary, render_text

GRID_TIMES = (
    "2026-11-26T10:00:00+03:00",  # a Thursday morning
    "2026-11-26T20:50:00+03:00",  # ten minutes before closing
    "2026-11-26T21:05:00+03:00",  # just after closing
    "2026-11-27T19:30:00+03:00",  # Friday evening
    "2026-12-30T20:50:00+03:00",  # the eve of the New Year holidays
    "2026-03-06T20:00:00+03:00",  # the eve of 8 March (a Friday; the 9th is a day off)
    "2026-11-28T12:00:00+03:00",  # a Saturday
)
GRID_ORDER_IDS = (None, "FBO-48213975-0001", "FBS-30571846-0003", "rFBS-71623490-0007", "48213975-0012-1")
GRID_STATUSES = (None, *CONDITIONS["status"])
GRID_ETAS = (None, "2026-12-02", "2027-01-15")
GRID_EXTRAS: tuple[dict[str, str | None], ...] = (
    {"customer_name": None, "track": None, "pickup_until": None, "refund_by": None, "return_period": None},
    {
        "customer_name": "Марина",
        "track": "RU123456789CN",
        "pickup_until": "2026-12-05",
        "refund_by": "2026-12-04",
        "return_period": "7 дней",
    },
    {
        "customer_name": "Ахмед Исмаилов",
        "track": None,
        "pickup_until": None,
        "refund_by": "2027-01-20",
        "return_period": None,
    },
)
ALLOWED_FINDINGS = {"APOLOGY": 1}  # one apology is fine in a template; any other finding is not


def context_grid() -> Iterator[dict[str, Any]]:
    """Contexts over times x tiers x statuses x order ids; the other values rotate through them."""
    for i, (now, tier, status, order_id) in enumerate(
        product(GRID_TIMES, ("standard", "premium"), GRID_STATUSES, GRID_ORDER_IDS)
    ):
        yield {
            "now": now,
            "tier": tier,
            "status": status,
            "order_id": order_id,
            "eta": GRID_ETAS[i % len(GRID_ETAS)],
            **GRID_EXTRAS[(i // 3) % len(GRID_EXTRAS)],
        }


def grid_renderings(
    library: TemplateLibrary, grid: Iterable[dict[str, Any]] | None = None
) -> Iterator[tuple[str, str, bool]]:
    """(template or next-step id, rendered text, approved) for every template that applies to each
    grid context, and each scenario's next step."""
    for context in context_grid() if grid is None else grid:
        now = parse_moment(context["now"])
        facts = order_facts(context, now.date())
        slots = fill_slots(context, facts, now)
        for template in library.templates:
            if template.applies(facts.conditions()):
                text = template.render(slots)
                if text is not None:
                    yield template.id, text, template.approved
        for spec in library.scenarios.values():
            yield f"{spec.id}.next_step", render_text(spec.next_step, slots) or "", True


@dataclass(frozen=True)
class Problem:
    severity: str  # error | warning
    where: str
    message: str

    def __str__(self) -> str:
        return f"{self.severity}: {self.where}: {self.message}"


def check_library(
    library: TemplateLibrary,
    checker: Checker | None = None,
    scenario_model: ScenarioModel | None = None,
    grid: Iterable[dict[str, Any]] | None = None,
) -> list[Problem]:
    checker = checker or Checker()
    problems: list[Problem] = []
    seen: dict[str, set[str]] = {}
    rendered: dict[str, bool] = {}
    for where, text, approved in grid_renderings(library, grid):
        rendered[where] = approved
        if text in seen.setdefault(where, set()):
            continue
        seen[where].add(text)
        if not text:
            problems.append(Problem("error", where, "renders empty"))
            continue
        report = checker.check(text)
        counts: dict[str, int] = {}
        for m in report.matches:
            counts[m.category] = counts.get(m.category, 0) + 1
        extra = {c: n for c, n in counts.items() if n > ALLOWED_FINDINGS.get(c, 0)}
        if extra:
            found = "; ".join(f"{m.rule['id']} «{m.text}»" for m in report.matches if m.category in extra)
            problems.append(Problem("error" if approved else "warning", where, f"{found} in: {text}"))
    for template in library.templates:
        if template.id not in rendered:
            problems.append(
                Problem(
                    "error" if template.approved else "warning",
                    template.id,
                    "renders in no context of the grid (conditions or required slots)",
                )
            )
    for spec in library.scenarios.values():
        if not any(t.approved for t in spec.templates):
            problems.append(Problem("error", spec.id, "no approved template"))
        for example in spec.examples:
            guess = detect_scenario("", example, scenario_model)
            if guess.scenario != spec.id:
                problems.append(
                    Problem(
                        "error",
                        spec.id,
                        f"example detected as {guess.scenario} ({guess.confidence:.2f}): {example}",
                    )
                )
    return _dedupe(problems)


def _dedupe(problems: list[Problem]) -> list[Problem]:
    """One problem per place and finding: the same rule hit over many contexts is reported once."""
    out: dict[tuple[str, str], Problem] = {}
    for p in problems:
        out.setdefault((p.where, p.message.split(" in: ")[0]), p)
    return list(out.values())

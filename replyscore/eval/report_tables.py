"""The tables of the batch report, computed from output rows (each table is also a CSV export)."""

from __future__ import annotations

import statistics
from collections import Counter, defaultdict
from collections.abc import Sequence
from itertools import pairwise
from typing import Any

from replyscore.model.categories import CATEGORIES, POLICY_CATEGORIES

CSS_BINS = (1.0, 1.5, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 5.0)
NO_AGENT = "(no agent)"


def scored(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in rows if "error" not in r and r.get("css")]


def css_of(row: dict[str, Any]) -> float:
    return float(row["css"]["score"])


def categories_of(row: dict[str, Any]) -> set[str]:
    return {m["rule"]["category"] for m in row.get("matches", [])}


def policy_hits(row: dict[str, Any]) -> int:
    return sum(m["rule"]["category"] in POLICY_CATEGORIES for m in row.get("matches", []))


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def summary(rows: Sequence[dict[str, Any]]) -> dict[str, Any]:
    ok = scored(rows)
    scores = [css_of(r) for r in ok]
    return {
        "rows": len(rows),
        "scored": len(ok),
        "errors": len(rows) - len(ok),
        "css_mean": round(statistics.fmean(scores), 3) if scores else None,
        "css_median": round(statistics.median(scores), 3) if scores else None,
        "clean_share": _share(sum(not r.get("matches") for r in ok), len(ok)),
        "policy_violation_share": _share(sum(policy_hits(r) > 0 for r in ok), len(ok)),
        "models": ", ".join(sorted({str(r.get("model")) for r in ok})),
    }


def css_distribution(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Replies per half-point CSS bin; the last bin includes 5.0."""
    ok = scored(rows)
    counts = Counter(min(int((css_of(r) - 1.0) / 0.5), len(CSS_BINS) - 2) for r in ok)
    return [
        {"bin": f"{lo:.1f}–{hi:.1f}", "replies": counts[i], "share": _share(counts[i], len(ok))}
        for i, (lo, hi) in enumerate(pairwise(CSS_BINS))
    ]


def category_hits(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Findings and replies per category, most frequent first (categories with no hit left out)."""
    ok = scored(rows)
    hits: Counter[str] = Counter(m["rule"]["category"] for r in ok for m in r.get("matches", []))
    replies: Counter[str] = Counter(c for r in ok for c in categories_of(r))
    out = [
        {
            "category": c,
            "policy": c in POLICY_CATEGORIES,
            "findings": hits[c],
            "replies": replies[c],
            "share_of_replies": _share(replies[c], len(ok)),
        }
        for c in CATEGORIES
        if hits[c]
    ]
    return sorted(out, key=lambda r: -r["findings"])


def agents(rows: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per agent: replies, CSS, share with a policy violation, and replies per category."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in scored(rows):
        groups[row.get("agent") or NO_AGENT].append(row)
    out = []
    for agent, group in groups.items():
        per_category: Counter[str] = Counter(c for r in group for c in categories_of(r))
        out.append(
            {
                "agent": agent,
                "replies": len(group),
                "css_mean": round(statistics.fmean(css_of(r) for r in group), 3),
                "clean_share": _share(sum(not r.get("matches") for r in group), len(group)),
                "policy_violation_share": _share(sum(policy_hits(r) > 0 for r in group), len(group)),
                "findings": sum(len(r.get("matches", [])) for r in group),
                **{c: per_category[c] for c in CATEGORIES},
            }
        )
    return sorted(out, key=lambda r: r["css_mean"])


def worst(rows: Sequence[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    """The n lowest-CSS replies (more policy violations, then more findings first among equals)."""
    return sorted(scored(rows), key=lambda r: (css_of(r), -policy_hits(r), -len(r.get("matches", []))))[:n]

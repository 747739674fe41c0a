"""Precision and recall of the rule engine per category over data/samples/replies.jsonl.

    python -m replyscore.eval.rules_quality [--misses] [--json]

A flagged category not in a reply's `must` list counts as a false positive; a `must` category not
flagged counts as a miss. Prints a table, then (with --misses) every miss and false positive.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from typing import Any

from replyscore.model.categories import CATEGORIES
from replyscore.model.checker import Checker
from replyscore.samples import labelled_replies

TARGET = 0.95


def evaluate(rows: list[dict[str, Any]], checker: Checker) -> tuple[dict[str, dict[str, float]], list[str]]:
    tp: Counter[str] = Counter()
    fp: Counter[str] = Counter()
    fn: Counter[str] = Counter()
    problems = []
    for row in rows:
        report = checker.check(row["text"])
        found = report.categories
        must = set(row.get("must", []))
        for cat in found & must:
            tp[cat] += 1
        for cat in found - must:
            fp[cat] += 1
            spans = [m.text for m in report.matches if m.category == cat]
            problems.append(f"FP {cat:<14} {row['id']}: {spans} in {row['text']!r}")
        for cat in must - found:
            fn[cat] += 1
            problems.append(f"FN {cat:<14} {row['id']}: {row['text']!r}")
    table = {}
    for cat in CATEGORIES:
        p = tp[cat] / (tp[cat] + fp[cat]) if tp[cat] + fp[cat] else 1.0
        r = tp[cat] / (tp[cat] + fn[cat]) if tp[cat] + fn[cat] else 1.0
        table[cat] = {
            "precision": round(p, 4),
            "recall": round(r, 4),
            "tp": tp[cat],
            "fp": fp[cat],
            "fn": fn[cat],
        }
    return table, problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--misses", action="store_true", help="list every miss and false positive")
    parser.add_argument("--json", action="store_true", help="print the table as JSON")
    args = parser.parse_args(argv)
    rows = labelled_replies()
    table, problems = evaluate(rows, Checker())
    if args.json:
        print(json.dumps(table, indent=1))
    else:
        print(f"{len(rows)} labelled replies; target >= {TARGET} precision and recall per category")
        print(f"{'category':<15}{'precision':>10}{'recall':>8}{'tp':>5}{'fp':>5}{'fn':>5}")
        for cat, row in table.items():
            flag = "" if min(row["precision"], row["recall"]) >= TARGET else "  < target"
            print(
                f"{cat:<15}{row['precision']:>10.3f}{row['recall']:>8.3f}{row['tp']:>5}{row['fp']:>5}{row['fn']:>5}{flag}"
            )
    if args.misses:
        print("\n".join(problems))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

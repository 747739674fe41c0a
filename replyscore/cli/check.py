"""`replyscore check`: a readable or JSON report for one reply, or JSON lines in and out."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from itertools import islice
from typing import IO, Any

from replyscore.cli.errors import CliError
from replyscore.model.checker import tokens_debug
from replyscore.model.report import Report
from replyscore.model.rulebook import RuleSelection
from replyscore.model.scorer import Scorer, ScoreRequest
from replyscore.model.text import analyze

JSONL_CHUNK = 64  # lines scored together: one model batch


def _ids(values: list[str] | None) -> list[str]:
    return [v.strip() for value in values or [] for v in value.split(",") if v.strip()]


def _selection(args: argparse.Namespace) -> RuleSelection:
    return RuleSelection.of(
        enabled=_ids(args.enable),
        disabled=_ids(args.disable),
        enabled_categories=_ids(args.enable_category),
        disabled_categories=_ids(args.disable_category),
        enabled_only=args.enabled_only,
    )


def _context(args: argparse.Namespace) -> dict[str, str]:
    fields = ("customer_message", "order_id", "status", "eta", "now")
    return {f: getattr(args, f) for f in fields if getattr(args, f, None)}


def _decode(data: bytes, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(
            f"{source} is not valid UTF-8 (byte 0x{data[exc.start]:02x} at position {exc.start})"
        ) from exc


def format_report(report: Report, debug: bool = False) -> str:
    s = report.signals
    lines = [
        f"{len(report.matches)} finding(s) · {s['words']} words · "
        f"apologies {s['apology']['count']} ({s['apology']['per_100_words']}/100 words) · "
        f"negations {s['negation']['count']} ({s['negation']['per_100_words']}/100 words) · "
        f"vague {s['vague']['count']} · promises {s['promises']['count']} "
        f"({s['promises']['without_deadline']} without deadline)"
    ]
    tone = report.extra.get("tone")
    if tone:
        lines.append("tone: " + ", ".join(f"{t['label']} {t['score']:.2f}" for t in tone))
    css = report.extra.get("css")
    if css:
        parts = ", ".join(f"{c['signal']} {c['delta']:+.2f}" for c in css["contributions"])
        lines.append(f"CSS {css['score']:.2f} / 5 (base {css['base']}{'; ' + parts if parts else ''})")
    for m in report.matches:
        rule = m.rule
        by = " (language model)" if m.source == "model" else ""
        lines.append(
            f"  [{rule['severity']}] {rule['category']}/{rule['id']}{by} {m.offset}+{m.length} «{m.text}»"
        )
        lines.append(f"      {m.message}")
        if m.replacements:
            lines.append("      → " + " | ".join(r or repr(r) for r in m.replacements))
        if debug:
            for step in m.trace:
                lines.append(f"      · token «{step.token}» lemma «{step.lemma}» met {step.element}")
    for suggestion in report.extra.get("suggestions") or []:
        label = "fix" if suggestion["kind"] == "fix" else f"rewrite ({suggestion.get('template_id')})"
        css_after = suggestion.get("css_after")
        score = f", CSS {css_after['score']:.2f}" if isinstance(css_after, dict) else ""
        lines.append(f"suggested {label}{score}:\n    {suggestion['text']}")
    if debug:
        lines.append("tokens:")
        lines.extend(
            f"  {t['offset']:>5} {t['text']!r:<20} {t['lemma']:<18} {t['pos']:<5} {','.join(t['grammemes'])}"
            for t in tokens_debug(analyze(report.text).tokens)
        )
    return "\n".join(lines)


def _report_dict(report: Report, debug: bool) -> dict[str, Any]:
    out = report.to_dict(debug=debug)
    if debug:
        out["tokens"] = tokens_debug(analyze(report.text).tokens)
    return out


def _read_jsonl(stream: IO[bytes]) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, parsed object or {'error', 'id'?}) for every non-blank line."""
    for number, raw in enumerate(stream, start=1):
        if not raw.strip():
            continue
        try:
            item = json.loads(raw.decode("utf-8"))
        except UnicodeDecodeError:
            yield number, {"error": f"line {number}: not valid UTF-8"}
            continue
        except json.JSONDecodeError as exc:
            yield number, {"error": f"line {number}: invalid JSON ({exc.msg})"}
            continue
        if not isinstance(item, dict):
            yield number, {"error": f"line {number}: expected a JSON object"}
            continue
        yield number, item


def run_jsonl(scorer: Scorer, source: IO[bytes], sink: IO[str], selection: RuleSelection, debug: bool) -> int:
    """Score JSON lines in chunks (one model batch each); one output line per input line."""
    errors = 0
    lines = _read_jsonl(source)
    while chunk := list(islice(lines, JSONL_CHUNK)):
        outputs: list[dict[str, Any]] = []
        requests: list[tuple[int, ScoreRequest]] = []
        for number, item in chunk:
            out: dict[str, Any] = {"id": item.get("id")} if "id" in item else {}
            if "error" in item and "text" not in item:
                out["error"] = item["error"]
            elif not isinstance(item.get("text"), str):
                out["error"] = f"line {number}: field 'text' must be a string"
            else:
                requests.append(
                    (len(outputs), ScoreRequest(item["text"], item.get("customer_message"), selection))
                )
            outputs.append(out)
        results = scorer.score_batch([r for _, r in requests])
        for (index, _), result in zip(requests, results, strict=True):
            if isinstance(result, Exception):
                outputs[index]["error"] = f"line {chunk[index][0]}: {result}"
            else:
                outputs[index].update(_report_dict(result, debug))
        for out in outputs:
            errors += "error" in out
            sink.write(json.dumps(out, ensure_ascii=False) + "\n")
        sink.flush()
    return errors


def cmd_check(args: argparse.Namespace) -> int:
    from replyscore.model.loading import load_scorer

    selection = _selection(args)
    scorer = load_scorer(rules_only=args.rules_only)
    scorer.checker.rulebook.select(selection)  # unknown ids fail before any input is read
    if args.jsonl:
        if args.jsonl == "-":
            run_jsonl(scorer, sys.stdin.buffer, sys.stdout, selection, args.debug)
        else:
            try:
                with open(args.jsonl, "rb") as fh:
                    run_jsonl(scorer, fh, sys.stdout, selection, args.debug)
            except OSError as exc:
                raise CliError(f"cannot read {args.jsonl}: {exc.strerror}") from exc
        return 0
    text = args.text if args.text is not None else _decode(sys.stdin.buffer.read(), "standard input")
    context = _context(args)
    report = scorer.score(ScoreRequest(text, context.get("customer_message"), selection))
    if not args.no_suggestions:
        from replyscore.model.rewrite import suggest

        report.extra["suggestions"] = suggest(report, context, scorer)
    if args.json:
        print(json.dumps(_report_dict(report, args.debug), ensure_ascii=False))
    else:
        print(format_report(report, args.debug))
    return 0


def register(commands: argparse._SubParsersAction) -> None:
    check = commands.add_parser("check", help="check a reply (argument or standard input)")
    check.add_argument("text", nargs="?", help="the reply; read from standard input when omitted")
    out = check.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="print one JSON report")
    out.add_argument(
        "--jsonl",
        metavar="FILE",
        help="read JSON lines {id, text, customer_message?} from FILE or - ; write one report per line",
    )
    check.add_argument(
        "--rules-only", action="store_true", help="skip the language model (tone, vague sentences)"
    )
    check.add_argument("--no-suggestions", action="store_true", help="do not compute fixes and rewrites")
    check.add_argument("--customer-message", help="the customer's message the reply answers")
    check.add_argument("--order-id", help="order id (FBO…, FBS…, rFBS…) for rewrites")
    check.add_argument(
        "--status", help="order status: Packed, Shipped, In transit, At pickup point, Delivered, Delayed"
    )
    check.add_argument("--eta", help="expected delivery date, YYYY-MM-DD")
    check.add_argument("--now", help="the moment deadlines count from, ISO 8601 (default: now)")
    check.add_argument("--debug", action="store_true", help="show tokens, lemmas and why each rule fired")
    check.add_argument(
        "--enable", action="append", metavar="IDS", help="rule ids to enable (comma-separated)"
    )
    check.add_argument("--disable", action="append", metavar="IDS", help="rule ids to disable")
    check.add_argument("--enable-category", action="append", metavar="IDS", help="categories to enable")
    check.add_argument("--disable-category", action="append", metavar="IDS", help="categories to disable")
    check.add_argument(
        "--enabled-only", action="store_true", help="run only the enabled rules and categories"
    )
    check.set_defaults(func=cmd_check)

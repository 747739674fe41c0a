"""The batch report: one self-contained HTML file (inline CSS and SVG, no scripts) and CSV exports of
its tables beside it: `<stem>.<table>.csv`."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from html import escape
from pathlib import Path
from typing import Any

from replyscore.eval import report_tables as tables
from replyscore.eval.batch_io import csv_text
from replyscore.eval.sla import TARGET_MINUTES, TARGETS, SlaReport
from replyscore.eval.svg import bars, columns
from replyscore.model.categories import CATEGORIES, POLICY_CATEGORIES

BREACHES_SHOWN = 40
BREACH_COLUMNS = [
    ("chat_id", "chat"),
    ("kind", "response"),
    ("agent", "agent"),
    ("arrived", "arrived"),
    ("deadline", "due"),
    ("answered", "answered"),
    ("business_minutes", "business min"),
    ("reason", "reasons"),
]
STYLE = """
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",sans-serif;color:#222;margin:0;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:24px;margin:0 0 4px}h2{font-size:18px;margin:32px 0 8px;border-bottom:2px solid #e3e6ea;
padding-bottom:4px}.muted{color:#777}.cards{display:flex;flex-wrap:wrap;gap:12px;margin:16px 0}
.card{background:#fff;border:1px solid #e3e6ea;border-radius:8px;padding:10px 14px;min-width:140px}
.card b{display:block;font-size:22px}.card.pass{border-left:5px solid #2ca02c}
.card.fail{border-left:5px solid #d62728}.panel{background:#fff;border:1px solid #e3e6ea;border-radius:8px;
padding:12px;margin:8px 0}table{border-collapse:collapse;width:100%;background:#fff;font-size:13px}
th,td{border:1px solid #e3e6ea;padding:4px 6px;text-align:right}th{background:#f0f2f5}
th.v{writing-mode:vertical-rl;transform:rotate(180deg);text-align:left;font-weight:500}
td.l,th.l{text-align:left}td.pass{color:#1a7f1a;font-weight:600}td.fail{color:#c21f1f;font-weight:600}
.scroll{overflow-x:auto}mark{background:#ffe08a;border-bottom:2px solid #e0a800;padding:0 1px}
mark.policy{background:#ffc9c9;border-bottom-color:#d62728}.reply{background:#fff;border:1px solid #e3e6ea;
border-radius:8px;padding:12px;margin:12px 0}.reply .text{font-size:15px;margin:6px 0}
.reply .fix{background:#eef8ee;border-left:4px solid #2ca02c;padding:6px 10px;margin-top:8px}
.reply ul{margin:4px 0;padding-left:20px}.tag{display:inline-block;border-radius:4px;padding:0 5px;
font-size:11px;background:#e8ecf3;margin-right:4px}.tag.policy{background:#ffd6d6}
"""


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.1%}"


def _num(value: float | None, digits: int = 2) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def _when(moment: datetime | None) -> str:
    return "" if moment is None else f"{moment:%a %d %b %Y %H:%M}"


def _cell(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "no", None: "n/a"}[value]
    return escape(str(value))


def _table(
    rows: Sequence[dict[str, Any]],
    columns_: Sequence[tuple[str, str]],
    classes: Mapping[str, Any] | None = None,
) -> str:
    """An HTML table; text columns (by the first row) align left; `classes` maps a column to a function
    row -> CSS class of its cell."""
    first = rows[0] if rows else {}
    left = {key for i, (key, _) in enumerate(columns_) if i == 0 or isinstance(first.get(key), str)}
    head = "".join(f'<th class="{"l" if k in left else ""}">{escape(title)}</th>' for k, title in columns_)
    body = []
    for row in rows:
        cells = []
        for key, _ in columns_:
            cls = ["l"] if key in left else []
            if classes and key in classes and (extra := classes[key](row)):
                cls.append(extra)
            cells.append(f'<td class="{" ".join(cls)}">{_format_value(key, row.get(key))}</td>')
        body.append("<tr>" + "".join(cells) + "</tr>")
    return f'<div class="scroll"><table><tr>{head}</tr>{"".join(body)}</table></div>'


def _format_value(key: str, value: Any) -> str:
    if isinstance(value, float) and ("share" in key or key in ("within_2h", "response_rate", "resolved_48h")):
        return _pct(value)
    if isinstance(value, float):
        return _num(value)
    return _cell(value)


def _meets_class(metric: str) -> Any:
    def cls(row: dict[str, Any]) -> str:
        flag = row.get(f"meets_{metric}")
        return "" if flag is None else ("pass" if flag else "fail")

    return cls


def _card(title: str, value: str, note: str = "", flag: bool | None = None) -> str:
    cls = "" if flag is None else (" pass" if flag else " fail")
    return (
        f'<div class="card{cls}">{escape(title)}<b>{escape(value)}</b>'
        f'<span class="muted">{escape(note)}</span></div>'
    )


def _heat(value: int, peak: int) -> str:
    if not value:
        return "<td></td>"
    alpha = 0.12 + 0.7 * value / peak
    return f'<td style="background:rgba(214,39,40,{alpha:.2f})">{value}</td>'


def _agents_heatmap(rows: Sequence[dict[str, Any]]) -> str:
    used = [c for c in CATEGORIES if any(r[c] for r in rows)]
    peak = max([r[c] / r["replies"] for r in rows for c in used] + [1e-9])
    head = (
        "<tr><th class='l'>agent</th><th>replies</th><th>CSS mean</th><th>with policy violation</th>"
        + "".join(f'<th class="v">{escape(c)}</th>' for c in used)
        + "</tr>"
    )
    body = []
    for r in rows:
        cells = "".join(_heat(r[c], max(1, round(peak * r["replies"]))) for c in used)
        body.append(
            f"<tr><td class='l'>{escape(r['agent'])}</td><td>{r['replies']}</td>"
            f"<td>{_num(r['css_mean'])}</td><td>{_pct(r['policy_violation_share'])}</td>{cells}</tr>"
        )
    return (
        f'<div class="scroll"><table>{head}{"".join(body)}</table></div>'
        '<p class="muted">Cells: replies of the agent with at least one finding of the category; '
        "the darker, the larger their share of the agent's replies.</p>"
    )


def _highlight(text: str, matches: Sequence[dict[str, Any]]) -> str:
    out, pos = [], 0
    for m in sorted(matches, key=lambda m: (m["offset"], -m["length"])):
        start, end = m["offset"], m["offset"] + m["length"]
        if start < pos:
            continue  # overlapping spans: the first one wins
        cls = "policy" if m["rule"]["category"] in POLICY_CATEGORIES else ""
        out.append(escape(text[pos:start]))
        out.append(
            f'<mark class="{cls}" title="{escape(m["rule"]["category"] + ": " + m["message"])}">'
            f"{escape(text[start:end])}</mark>"
        )
        pos = end
    out.append(escape(text[pos:]))
    return "".join(out)


def _reply_block(row: dict[str, Any], suggestions: Sequence[dict[str, Any]] | None) -> str:
    meta = " · ".join(escape(str(row[k])) for k in ("id", "agent", "created_at") if row.get(k))
    parts = [f'<div class="reply"><div class="muted">{meta} · CSS <b>{tables.css_of(row):.2f}</b></div>']
    if row.get("customer_message"):
        parts.append(f'<div class="muted">Customer: {escape(row["customer_message"])}</div>')
    parts.append(f'<div class="text">{_highlight(row["text"], row.get("matches", []))}</div><ul>')
    for m in row.get("matches", []):
        cat = m["rule"]["category"]
        fix = " → " + " | ".join(escape(r) for r in m["replacements"]) if m.get("replacements") else ""
        parts.append(
            f'<li><span class="tag {"policy" if cat in POLICY_CATEGORIES else ""}">{escape(cat)}</span>'
            f"«{escape(m['text'])}»: {escape(m['message'])}{fix}</li>"
        )
    parts.append("</ul>")
    for s in suggestions or []:
        label = (
            "Suggested fix"
            if s["kind"] == "fix"
            else f"Template rewrite ({escape(str(s.get('template_id')))})"
        )
        css = f" · CSS after {s['css_after']:.2f}" if s.get("css_after") is not None else ""
        parts.append(f'<div class="fix"><b>{label}</b>{css}<br>{escape(s["text"])}</div>')
    parts.append("</div>")
    return "".join(parts)


def _sla_section(sla: SlaReport, files: dict[str, str]) -> str:
    overall = sla.overall()
    agents = sla.by_agent()
    hours = sla.by_hour()
    cards = "".join(
        [
            _card(
                "Response rate",
                _pct(overall["response_rate"]),
                f"target ≥ {TARGETS['response_rate'][1]:.0%}",
                overall["meets_response_rate"],
            ),
            _card(
                "Average response time",
                f"{_num(overall['avg_response_hours'])} h",
                f"target ≤ {TARGETS['avg_response_hours'][1]} h (business hours)",
                overall["meets_avg_response_hours"],
            ),
            _card(
                "Resolved within 48 h",
                _pct(overall["resolved_48h"]),
                f"target ≥ {TARGETS['resolved_48h'][1]:.0%}",
                overall["meets_resolved_48h"],
            ),
            _card("Answered within 2 h", _pct(overall["within_2h"]), f"{overall['breaches']} breaches"),
            _card(
                "First / next response",
                f"{_num(overall['avg_first_response_hours'])} / {_num(overall['avg_next_response_hours'])} h",
                "business hours",
            ),
        ]
    )
    sla_cols = [
        ("group", "agent"),
        ("customer_turns", "customer turns"),
        ("answered", "answered"),
        ("response_rate", "response rate ≥98%"),
        ("avg_response_hours", "avg response h ≤1.8"),
        ("avg_first_response_hours", "first h"),
        ("avg_next_response_hours", "next h"),
        ("within_2h", "within 2 h"),
        ("breaches", "breaches"),
        ("chats", "chats"),
        ("resolved_48h", "resolved 48 h ≥92%"),
        ("pending", "pending"),
    ]
    classes = {m: _meets_class(m) for m in TARGETS}
    hour_chart = columns(
        [f"{h['hour']:02d}" for h in hours],
        [h["share_within_2h"] for h in hours],
        percent=True,
        notes=[str(h["customer_turns"]) for h in hours],
        colors="#59a14f",
        height=240,
        title="answered within 2 business hours by hour of arrival",
    )
    agent_chart = bars(
        [a["group"] for a in agents],
        [a["within_2h"] for a in agents],
        percent=True,
        colors="#59a14f",
        title="answered within 2 business hours by agent",
    )
    rate_chart = bars(
        [a["group"] for a in agents],
        [a["response_rate"] for a in agents],
        percent=True,
        target=TARGETS["response_rate"][1],
        title="response rate by agent",
    )
    reasons = [{"reason": k, "breaches": v} for k, v in sla.reason_counts().items()]
    breaches = sorted(sla.breaches(), key=lambda t: (t.answered is not None, -(t.minutes or 0)))
    breach_rows = [
        {
            **t.to_row(),
            "arrived": _when(t.arrived),
            "deadline": _when(t.deadline),
            "answered": _when(t.answered),
            "business_minutes": None if t.minutes is None else round(t.minutes),
        }
        for t in breaches[:BREACHES_SHOWN]
    ]
    breach_table = _table(breach_rows, BREACH_COLUMNS)
    return f"""
<h2>Service levels (SLA)</h2>
<p class="muted">Business time: 09:00–21:00 Moscow time on working days (Russian public holidays and
transferred days off excluded). Target: a reply within {TARGET_MINUTES // 60} business hours. As of
{escape(sla.as_of.isoformat())}. Tables: {files["sla_overall"]}, {files["sla_agents"]}, {files["sla_hours"]},
{files["sla_turns"]}, {files["sla_breaches"]}.</p>
<div class="cards">{cards}</div>
<div class="panel"><b>Answered within 2 business hours, by hour of arrival (MSK)</b>
<span class="muted">— figures under the hours: customer turns</span>{hour_chart}</div>
<div class="panel"><b>Answered within 2 business hours, by agent</b>{agent_chart}</div>
<div class="panel"><b>Response rate by agent</b> <span class="muted">— dashed: target</span>{rate_chart}</div>
{_table([*agents, overall], sla_cols, classes)}
<h3>Why replies were late</h3>
{_table(reasons, [("reason", "reason"), ("breaches", "breaches")])}
<p class="muted">never_answered: no reply yet after 2 business hours; late: answered after more than
2 business hours; before_closing: arrived less than 2 working hours before 21:00, so the deadline
moved to the next working day; after_hours: arrived at night or in the evening; non_working_day:
arrived on, or waited over, a weekend or public holiday.</p>
<h3>Breaches ({len(breaches)}; never answered first, then the longest waits; times MSK)</h3>
{breach_table}
"""


def write_report(
    path: Path,
    rows: Sequence[dict[str, Any]],
    sla: SlaReport | None,
    suggestions: Mapping[str, Sequence[dict[str, Any]]],
    *,
    worst_n: int = 20,
    source: str = "",
) -> list[Path]:
    """Write the HTML report and its CSV tables; returns every file written."""
    summary = tables.summary(rows)
    dist = tables.css_distribution(rows)
    cats = tables.category_hits(rows)
    agents = tables.agents(rows)
    worst = tables.worst(rows, worst_n)
    exports: dict[str, tuple[list[dict[str, Any]], Sequence[str]]] = {
        "summary": ([summary], list(summary)),
        "css_distribution": (dist, ["bin", "replies", "share"]),
        "categories": (cats, ["category", "policy", "findings", "replies", "share_of_replies"]),
        "agents": (agents, list(agents[0]) if agents else ["agent"]),
        "worst": (
            [
                {
                    "id": r["id"],
                    "agent": r.get("agent"),
                    "created_at": r.get("created_at"),
                    "css": tables.css_of(r),
                    "categories": " ".join(sorted(tables.categories_of(r))),
                    "text": r["text"],
                    "suggestion": next(iter(s["text"] for s in suggestions.get(str(r["id"]), [])), ""),
                }
                for r in worst
            ],
            ["id", "agent", "created_at", "css", "categories", "text", "suggestion"],
        ),
    }
    if sla is not None:
        turns = [t.to_row() for t in sla.turns]
        turn_cols = list(turns[0]) if turns else ["chat_id"]
        exports.update(
            {
                "sla_overall": ([sla.overall()], list(sla.overall())),
                "sla_agents": (sla.by_agent(), list(sla.overall())),
                "sla_hours": (
                    sla.by_hour(),
                    ["hour", "customer_turns", "within_2h", "breaches", "share_within_2h"],
                ),
                "sla_turns": (turns, turn_cols),
                "sla_breaches": ([t.to_row() for t in sla.breaches()], turn_cols),
            }
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    written, files = [], {}
    for name, (table_rows, cols) in exports.items():
        target = path.with_name(f"{path.stem}.{name}.csv")
        target.write_text(csv_text(table_rows, cols), encoding="utf-8")
        written.append(target)
        files[name] = f"<code>{escape(target.name)}</code>"

    dist_colors = ["#d62728", "#e8743b", "#f1a340", "#f6c85f", "#c9d86b", "#8cc56b", "#59a14f", "#2e7d32"]
    css_chart = columns(
        [d["bin"] for d in dist],
        [d["replies"] for d in dist],
        colors=dist_colors,
        notes=[_pct(d["share"]) for d in dist],
        title="CSS distribution",
    )
    cat_chart = bars(
        [c["category"] for c in cats],
        [c["findings"] for c in cats],
        colors=["#e15759" if c["policy"] else "#f28e2b" for c in cats],
        title="findings by category",
    )
    agent_css = bars(
        [a["agent"] for a in agents],
        [a["css_mean"] for a in agents],
        scale_max=5.0,
        title="mean CSS by agent (scale 0–5)",
    )
    cards = "".join(
        [
            _card("Replies scored", str(summary["scored"]), f"{summary['errors']} error rows"),
            _card("Mean CSS", _num(summary["css_mean"]), f"median {_num(summary['css_median'])} (1–5)"),
            _card("Clean replies", _pct(summary["clean_share"]), "no finding"),
            _card(
                "Policy violations", _pct(summary["policy_violation_share"]), "replies breaking chat rules"
            ),
        ]
    )
    cat_cols = [
        ("category", "category"),
        ("policy", "chat policy"),
        ("findings", "findings"),
        ("replies", "replies"),
        ("share_of_replies", "share of replies"),
    ]
    sla_html = (
        _sla_section(sla, files)
        if sla is not None
        else '<h2>Service levels (SLA)</h2><p class="muted">The input has no chats (messages with '
        "timestamps and roles), so response times cannot be measured.</p>"
    )
    worst_html = "".join(_reply_block(r, suggestions.get(str(r["id"]))) for r in worst)
    generated = escape(datetime.now().astimezone().isoformat(timespec="seconds"))
    models = escape(summary["models"] or "n/a")
    table_files = ", ".join(
        files[k] for k in ("summary", "css_distribution", "categories", "agents", "worst")
    )
    html = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>replyscore batch report</title><style>{STYLE}</style></head><body><main>
<h1>replyscore batch report</h1>
<div class="muted">{escape(source)} · generated {generated} · model: {models}</div>
<div class="cards">{cards}</div>
<p class="muted">CSS is replyscore's own explainable 1–5 estimate of how a customer will take a reply
(tone and rule findings), not an Ozon metric. Tables: {table_files}.</p>
<h2>CSS distribution</h2><div class="panel">{css_chart}</div>
<h2>Findings by category</h2><div class="panel"><span class="muted">Red: marketplace chat policy (the
reply must not be sent as is); orange: style.</span>{cat_chart}</div>
{_table(cats, cat_cols)}
<h2>By agent</h2><div class="panel"><b>Mean CSS</b>{agent_css}</div>
{_agents_heatmap(agents)}
{sla_html}
<h2>The worst {len(worst)} replies and their fixes</h2>
<p class="muted">Highlighted: findings (red: chat policy). A suggested fix edits the reply; a template
rewrite is an approved answer for the detected scenario. Both were checked again and carry no policy,
vague or missing-deadline finding.</p>
{worst_html}
</main></body></html>
"""
    path.write_text(html, encoding="utf-8")
    return [path, *written]

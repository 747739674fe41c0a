"""Small inline SVG charts for the batch report: no scripts, no external files."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

FONT = 'font-family="system-ui, sans-serif" font-size="11"'


def _fmt(value: float, percent: bool) -> str:
    return f"{value:.0%}" if percent else f"{value:g}"


def columns(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    colors: Sequence[str] | str = "#4c78a8",
    percent: bool = False,
    target: float | None = None,
    notes: Sequence[str] | None = None,
    width: int = 1000,
    height: int = 220,
    title: str = "",
) -> str:
    """Vertical bars, a value label on each, an optional dashed target line; None draws no bar."""
    n = max(1, len(labels))
    top, bottom, left = 18, 34, 8
    plot_h = height - top - bottom
    vmax = 1.0 if percent else max([v for v in values if v is not None] + [target or 0, 1e-9])
    step = (width - 2 * left) / n
    bar = max(2.0, step * 0.72)
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(title)}" {FONT}>'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = left + i * step + (step - bar) / 2
        cx = x + bar / 2
        color = colors if isinstance(colors, str) else colors[i]
        if value is not None:
            h = plot_h * value / vmax
            tip = escape(f"{label}: {_fmt(value, percent)}" + (f" ({notes[i]})" if notes else ""))
            parts.append(
                f'<rect x="{x:.1f}" y="{top + plot_h - h:.1f}" width="{bar:.1f}" height="{h:.1f}" '
                f'fill="{color}" rx="2"><title>{tip}</title></rect>'
            )
            parts.append(
                f'<text x="{cx:.1f}" y="{top + plot_h - h - 4:.1f}" text-anchor="middle" '
                f'fill="#333">{escape(_fmt(value, percent))}</text>'
            )
        parts.append(
            f'<text x="{cx:.1f}" y="{height - bottom + 14}" text-anchor="middle" '
            f'fill="#555">{escape(label)}</text>'
        )
        if notes:
            parts.append(
                f'<text x="{cx:.1f}" y="{height - bottom + 27}" text-anchor="middle" '
                f'fill="#999" font-size="9">{escape(notes[i])}</text>'
            )
    parts.append(
        f'<line x1="{left}" x2="{width - left}" y1="{top + plot_h}" y2="{top + plot_h}" stroke="#bbb"/>'
    )
    if target is not None:
        y = top + plot_h - plot_h * target / vmax
        parts.append(
            f'<line x1="{left}" x2="{width - left}" y1="{y:.1f}" y2="{y:.1f}" stroke="#d62728" '
            f'stroke-dasharray="5 4"><title>target {_fmt(target, percent)}</title></line>'
        )
    parts.append("</svg>")
    return "".join(parts)


def bars(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    colors: Sequence[str] | str = "#4c78a8",
    percent: bool = False,
    target: float | None = None,
    scale_max: float | None = None,
    width: int = 1000,
    label_width: int = 170,
    title: str = "",
) -> str:
    """Horizontal bars, one row per label, an optional dashed target line; the scale starts at 0."""
    row, top = 22, 6
    height = top * 2 + row * max(1, len(labels))
    plot_w = width - label_width - 60
    vmax = scale_max or (1.0 if percent else max([v for v in values if v is not None] + [target or 0, 1e-9]))
    parts = [
        f'<svg viewBox="0 0 {width} {height}" width="100%" role="img" aria-label="{escape(title)}" {FONT}>'
    ]
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        y = top + i * row
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 15}" text-anchor="end" fill="#333">{escape(label)}</text>'
        )
        if value is None:
            parts.append(f'<text x="{label_width + 4}" y="{y + 15}" fill="#999">n/a</text>')
            continue
        w = plot_w * value / vmax
        color = colors if isinstance(colors, str) else colors[i]
        parts.append(
            f'<rect x="{label_width}" y="{y + 4}" width="{w:.1f}" height="{row - 8}" fill="{color}" '
            f'rx="2"><title>{escape(label)}: {_fmt(value, percent)}</title></rect>'
        )
        parts.append(
            f'<text x="{label_width + w + 4:.1f}" y="{y + 15}" fill="#333">'
            f"{escape(_fmt(value, percent))}</text>"
        )
    if target is not None:
        x = label_width + plot_w * target / vmax
        parts.append(
            f'<line x1="{x:.1f}" x2="{x:.1f}" y1="0" y2="{height}" stroke="#d62728" '
            f'stroke-dasharray="5 4"><title>target {_fmt(target, percent)}</title></line>'
        )
    parts.append("</svg>")
    return "".join(parts)

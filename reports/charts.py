"""Server-side SVG charts: the page and the PDF show the very same picture.

Written by hand rather than with a chart library on purpose: WeasyPrint's SVG
renderer ignores fonts and colours set through CSS (docs/decisions/0008-pdf-fonts.md),
which is how the libraries style their output. Here every colour and the font
are plain attributes, so Chinese labels print in Noto Sans CJK SC everywhere.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language

FONT = "Noto Sans CJK SC, PingFang SC, Microsoft YaHei, sans-serif"
PALETTE = ["#1f6feb", "#12b76a", "#f79009", "#7a5af8", "#f04438", "#0ba5ec", "#98a2b3", "#ee46bc"]
Number = int | float | Decimal


def _fmt(value: Number) -> str:
    value = float(value)
    # Magnitudes keep labels short enough to sit over a column, in the reader's language:
    # 9.0亿, 131.9万 in Chinese; 900.0M, 1.3M, 13.2K in English.
    if (get_language() or "").startswith("zh"):
        if abs(value) >= 100_000_000:
            return f"{value / 100_000_000:,.1f}亿"
        if abs(value) >= 10000:
            return f"{value / 10000:,.1f}万"
    else:
        if abs(value) >= 1_000_000:
            return f"{value / 1_000_000:,.1f}M"
        if abs(value) >= 10000:
            return f"{value / 1000:,.1f}K"
    if value == int(value):
        return f"{int(value):,}"
    return f"{value:,.1f}"


def _svg(width: int, height: int, body: str, title: str) -> SafeString:
    return mark_safe(  # noqa: S308 - every text node below goes through escape()
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="{FONT}" font-size="12" role="img" '
        f'aria-label="{escape(title)}"><title>{escape(title)}</title>{body}</svg>'
    )


def empty_chart(*, title: str, text: str, width: int = 520) -> SafeString:
    """A chart with nothing to show says so in words, instead of a made-up slice or bar."""
    return _svg(
        width,
        64,
        f'<text x="0" y="16" font-size="13" font-weight="bold" fill="#1d2939">{escape(title)}</text>'
        f'<text x="0" y="44" fill="#667085" data-empty="1">{escape(text)}</text>',
        title,
    )


def bar_chart(
    items: Sequence[tuple[str, Number]],
    *,
    title: str,
    width: int = 520,
    bar: int = 22,
    empty: str = "",
) -> SafeString:
    """Horizontal bars: long Chinese labels stay readable. With no item (or only zeros)
    and an ``empty`` text, the chart says that instead."""
    if empty and not any(float(value) for _label, value in items):
        return empty_chart(title=title, text=empty, width=width)
    items = list(items) or [("—", 0)]
    label_width = min(180, 14 + 13 * max(len(label) for label, _v in items))
    top, gap = 30, 8
    height = top + len(items) * (bar + gap) + 6
    biggest = max(float(value) for _label, value in items) or 1.0
    room = width - label_width - 70
    parts = [
        f'<text x="0" y="16" font-size="13" font-weight="bold" fill="#1d2939">{escape(title)}</text>'
    ]
    for index, (label, value) in enumerate(items):
        y = top + index * (bar + gap)
        length = max(2.0, room * float(value) / biggest) if float(value) else 0
        colour = PALETTE[index % len(PALETTE)]
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar * 0.7:.1f}" text-anchor="end" fill="#344054">'
            f"{escape(str(label))}</text>"
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar}" rx="3" fill="{colour}"/>'
            f'<text x="{label_width + length + 6:.1f}" y="{y + bar * 0.7:.1f}" fill="#475467">'
            f"{escape(_fmt(value))}</text>"
        )
    return _svg(width, height, "".join(parts), title)


def column_chart(
    items: Sequence[tuple[str, Number]],
    *,
    title: str,
    width: int = 520,
    height: int = 220,
    empty: str = "",
) -> SafeString:
    """Vertical columns, e.g. the twelve-month trend."""
    if empty and not any(float(value) for _label, value in items):
        return empty_chart(title=title, text=empty, width=width)
    items = list(items) or [("—", 0)]
    left, top, bottom = 10, 30, 36
    plot_height = height - top - bottom
    slot = (width - left * 2) / len(items)
    biggest = max(float(value) for _label, value in items) or 1.0
    parts = [
        f'<text x="0" y="16" font-size="13" font-weight="bold" fill="#1d2939">{escape(title)}</text>',
        f'<line x1="{left}" y1="{top + plot_height}" x2="{width - left}" y2="{top + plot_height}" '
        f'stroke="#d0d5dd"/>',
    ]
    for index, (label, value) in enumerate(items):
        column = plot_height * float(value) / biggest
        x = left + index * slot + slot * 0.18
        y = top + plot_height - column
        parts.append(
            f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.64:.1f}" height="{column:.1f}" rx="2" '
            f'fill="{PALETTE[0]}"/>'
            f'<text x="{x + slot * 0.32:.1f}" y="{y - 4:.1f}" text-anchor="middle" font-size="10" '
            f'fill="#475467">{escape(_fmt(value)) if float(value) else ""}</text>'
            f'<text x="{x + slot * 0.32:.1f}" y="{height - 18}" text-anchor="middle" font-size="10" '
            f'fill="#475467">{escape(str(label))}</text>'
        )
    return _svg(width, height, "".join(parts), title)


def pie_chart(
    items: Sequence[tuple[str, Number]],
    *,
    title: str,
    width: int = 520,
    height: int = 220,
    empty: str = "",
) -> SafeString:
    """A donut with a legend; shares are of the total. Nothing to share out: the ``empty``
    text (or a grey ring without a legend) — never a slice "— 1 (100 %)"."""
    import math

    items = [(label, value) for label, value in items if float(value) > 0]
    if not items:
        return empty_chart(title=title, text=empty or "—", width=width)
    total = sum(float(value) for _label, value in items)
    cx, cy, radius, inner = 110, 125, 80, 46
    parts = [
        f'<text x="0" y="16" font-size="13" font-weight="bold" fill="#1d2939">{escape(title)}</text>'
    ]
    angle = -math.pi / 2
    for index, (label, value) in enumerate(items):
        share = float(value) / total
        colour = PALETTE[index % len(PALETTE)]
        if share >= 0.9999:
            parts.append(f'<circle cx="{cx}" cy="{cy}" r="{radius}" fill="{colour}"/>')
        else:
            end = angle + share * 2 * math.pi
            large = 1 if share > 0.5 else 0
            x1, y1 = cx + radius * math.cos(angle), cy + radius * math.sin(angle)
            x2, y2 = cx + radius * math.cos(end), cy + radius * math.sin(end)
            parts.append(
                f'<path d="M{cx},{cy} L{x1:.2f},{y1:.2f} A{radius},{radius} 0 {large} 1 '
                f'{x2:.2f},{y2:.2f} Z" fill="{colour}"/>'
            )
            angle = end
        legend_y = 46 + index * 22
        parts.append(
            f'<rect x="230" y="{legend_y - 11}" width="12" height="12" rx="2" fill="{colour}"/>'
            f'<text x="250" y="{legend_y}" fill="#344054">{escape(str(label))}  '
            f"{escape(_fmt(value))} ({share * 100:.0f}%)</text>"
        )
    parts.append(f'<circle cx="{cx}" cy="{cy}" r="{inner}" fill="#ffffff"/>')
    return _svg(width, max(height, 60 + len(items) * 22), "".join(parts), title)

"""Charts as inline SVG written here (no chart library, no script, no CDN): they render the same
in the page, in the PDF and offline. Colours and sizes are attributes, not CSS, so the pages'
content-security policy (no inline styles) holds.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from orderwatch.domain.statistics import Bucket
from orderwatch.stats.dashboard import Figure

CURRENT = "#1f3a5f"
PREVIOUS = "#aab4c3"
INK = "#1d2430"
MUTED = "#5b6577"
FONT = 'font-family="DejaVu Sans, Verdana, sans-serif"'


def _number(value: float) -> str:
    return f"{value:,.0f}" if value == int(value) else f"{value:,.1f}"


def comparison_bars(
    figures: Sequence[Figure], *, title: str, width: int = 640, row: int = 34
) -> str:
    """One row per figure: the previous period's bar above the current one, each row scaled
    to its own larger value (so rows of very different size stay readable)."""
    label_width, top = 230, 26
    bar = max(6, (row - 8) // 2)
    bar_space = width - label_width - 70
    height = top + row * len(figures) + 8
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)}" {FONT}>',
        f"<title>{escape(title)}</title>",
        f'<rect x="{label_width}" y="6" width="10" height="10" fill="{PREVIOUS}"/>'
        f'<text x="{label_width + 14}" y="15" font-size="11" fill="{MUTED}">previous period</text>'
        f'<rect x="{label_width + 130}" y="6" width="10" height="10" fill="{CURRENT}"/>'
        f'<text x="{label_width + 144}" y="15" font-size="11" fill="{MUTED}">this period</text>',
    ]
    for index, figure in enumerate(figures):
        y = top + index * row
        biggest = max(figure.current, figure.previous) or 1
        before = bar_space * figure.previous / biggest
        now = bar_space * figure.current / biggest
        parts.append(
            f'<text x="{label_width - 8}" y="{y + bar + 6}" font-size="12" fill="{INK}" '
            f'text-anchor="end">{escape(figure.label)}</text>'
            f'<rect x="{label_width}" y="{y + 3}" width="{before:.1f}" height="{bar}" '
            f'fill="{PREVIOUS}"/>'
            f'<text x="{label_width + before + 4:.1f}" y="{y + 3 + bar - 1}" font-size="10" '
            f'fill="{MUTED}">{_number(figure.previous)}</text>'
            f'<rect x="{label_width}" y="{y + 4 + bar}" width="{now:.1f}" height="{bar + 2}" '
            f'fill="{CURRENT}"/>'
            f'<text x="{label_width + now + 4:.1f}" y="{y + 4 + 2 * bar}" font-size="11" '
            f'fill="{INK}" font-weight="bold">{_number(figure.current)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def trend_columns(
    title: str, buckets: Sequence[Bucket], values: Sequence[int], *, width: int = 300
) -> str:
    """Columns per week/month/quarter across both periods; the previous period in grey."""
    height, top, bottom, left = 150, 22, 30, 8
    plot_height = height - top - bottom
    count = max(1, len(buckets))
    step = (width - 2 * left) / count
    biggest = max(values, default=0) or 1
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" '
        f'width="{width}" height="{height}" role="img" aria-label="{escape(title)} by period" '
        f"{FONT}>",
        f"<title>{escape(title)}</title>",
        f'<text x="{left}" y="14" font-size="12" font-weight="bold" fill="{INK}">'
        f"{escape(title)}</text>",
        f'<text x="{width - left}" y="14" font-size="10" fill="{MUTED}" text-anchor="end">'
        f"max {_number(biggest if any(values) else 0)}</text>",
    ]
    label_every = max(1, round(count / 6))
    for index, (bucket, value) in enumerate(zip(buckets, values, strict=True)):
        column = plot_height * value / biggest
        x = left + index * step
        colour = CURRENT if bucket.current else PREVIOUS
        parts.append(
            f'<rect x="{x + 1:.1f}" y="{top + plot_height - column:.1f}" '
            f'width="{max(step - 2, 1):.1f}" height="{column:.1f}" fill="{colour}">'
            f"<title>{escape(bucket.label)}: {value}</title></rect>"
        )
        if index % label_every == 0:
            parts.append(
                f'<text x="{x + 1:.1f}" y="{height - 12}" font-size="9" fill="{MUTED}">'
                f"{escape(bucket.label)}</text>"
            )
    baseline = top + plot_height
    parts.append(
        f'<line x1="{left}" y1="{baseline}" x2="{width - left}" y2="{baseline}" '
        f'stroke="{MUTED}" stroke-width="1"/></svg>'
    )
    return "".join(parts)

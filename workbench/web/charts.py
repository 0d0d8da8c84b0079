"""Server-side SVG charts.

The CSP forbids inline scripts and styles and the workbench runs without internet, so charts are
plain SVG built here: labels escaped, no `style` attributes (SVG presentation attributes plus the
classes in static/charts.css), an accessible <title>/<desc> on every chart.

    {% block head %}<link rel="stylesheet" href="{{ url_for('static', filename='charts.css') }}">{% endblock %}
    {{ bar_chart([("Hate speech", 12), ("Spam", 3)], title="Notices by category") }}
"""

from __future__ import annotations

import itertools
from datetime import datetime

from markupsafe import Markup, escape

WIDTH = 640
BAR_HEIGHT = 22
BAR_GAP = 6
LABEL_WIDTH = 220
VALUE_WIDTH = 70
LINE_HEIGHT = 260
MARGIN_LEFT, MARGIN_RIGHT, MARGIN_TOP, MARGIN_BOTTOM = 56, 16, 16, 40
SERIES_CLASSES = 6  # .wb-series-0 … .wb-series-5 in charts.css

_chart_ids = itertools.count(1)


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"


def _num(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")


def _open_svg(width: int, height: int, title: str, desc: str, css_class: str) -> tuple[str, list[str]]:
    chart_id = f"wb-chart-{next(_chart_ids)}"
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" class="wb-chart {css_class}" role="img" '
        f'viewBox="0 0 {width} {height}" width="{width}" height="{height}" '
        f'aria-labelledby="{chart_id}-title {chart_id}-desc">',
        f'<title id="{chart_id}-title">{escape(title)}</title>',
        f'<desc id="{chart_id}-desc">{escape(desc)}</desc>',
    ]
    return chart_id, parts


def bar_chart(bars: list[tuple[str, float]], *, title: str) -> Markup:
    """Horizontal bars, one row per (label, value), longest value spanning the plot width."""
    bars = [(str(label), float(value or 0)) for label, value in bars]
    height = max(1, len(bars)) * (BAR_HEIGHT + BAR_GAP) + BAR_GAP
    desc = "; ".join(f"{label}: {_fmt(value)}" for label, value in bars) or "No data."
    _, parts = _open_svg(WIDTH, height, title, desc, "wb-bar-chart")
    if not bars:
        parts.append(
            f'<text class="wb-chart-empty" x="{WIDTH // 2}" y="{height // 2 + 10}" text-anchor="middle">No data</text>'
        )
    peak = max((value for _, value in bars), default=0) or 1
    plot_width = WIDTH - LABEL_WIDTH - VALUE_WIDTH
    for index, (label, value) in enumerate(bars):
        y = BAR_GAP + index * (BAR_HEIGHT + BAR_GAP)
        length = max(0.0, value) / peak * plot_width
        text_y = y + BAR_HEIGHT * 0.7
        parts.append(
            f'<g class="wb-bar"><title>{escape(label)}: {escape(_fmt(value))}</title>'
            f'<text class="wb-chart-label" x="{LABEL_WIDTH - 8}" y="{_num(text_y)}" '
            f'text-anchor="end">{escape(_truncate(label, 34))}</text>'
            f'<rect class="wb-bar-rect wb-series-{index % SERIES_CLASSES}" x="{LABEL_WIDTH}" y="{y}" '
            f'width="{_num(length)}" height="{BAR_HEIGHT}" rx="2"></rect>'
            f'<text class="wb-chart-value" x="{_num(LABEL_WIDTH + length + 6)}" '
            f'y="{_num(text_y)}">{escape(_fmt(value))}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def line_chart(series: dict[str, list[tuple[datetime, float]]], *, title: str, y_label: str = "") -> Markup:
    """One polyline per named series over a shared time axis, with a legend underneath."""
    clean = {str(name): sorted((when, float(value or 0)) for when, value in points) for name, points in series.items()}
    all_points = [point for points in clean.values() for point in points]
    legend_rows = (len(clean) + 2) // 3
    height = LINE_HEIGHT + legend_rows * 20
    desc_parts = []
    for name, points in clean.items():
        if points:
            desc_parts.append(
                f"{name}: {len(points)} points from {points[0][0]:%Y-%m-%d %H:%M} "
                f"to {points[-1][0]:%Y-%m-%d %H:%M}, max {_fmt(max(v for _, v in points))}"
            )
    desc = "; ".join(desc_parts) or "No data."
    _, parts = _open_svg(WIDTH, height, title, desc, "wb-line-chart")
    plot_left, plot_right = MARGIN_LEFT, WIDTH - MARGIN_RIGHT
    plot_top, plot_bottom = MARGIN_TOP, LINE_HEIGHT - MARGIN_BOTTOM
    parts.append(
        f'<line class="wb-chart-axis" x1="{plot_left}" y1="{plot_bottom}" x2="{plot_right}" y2="{plot_bottom}"></line>'
    )
    parts.append(
        f'<line class="wb-chart-axis" x1="{plot_left}" y1="{plot_top}" x2="{plot_left}" y2="{plot_bottom}"></line>'
    )
    if y_label:
        parts.append(
            f'<text class="wb-chart-label" x="12" y="{(plot_top + plot_bottom) // 2}" '
            f'text-anchor="middle" transform="rotate(-90 12 {(plot_top + plot_bottom) // 2})">'
            f"{escape(y_label)}</text>"
        )
    if not all_points:
        parts.append(
            f'<text class="wb-chart-empty" x="{WIDTH // 2}" y="{(plot_top + plot_bottom) // 2}" '
            f'text-anchor="middle">No data</text>'
        )
    else:
        t_min = min(when for when, _ in all_points).timestamp()
        t_max = max(when for when, _ in all_points).timestamp()
        v_max = max(value for _, value in all_points) or 1
        t_span = (t_max - t_min) or 1

        def x_of(when: datetime) -> float:
            return plot_left + (when.timestamp() - t_min) / t_span * (plot_right - plot_left)

        def y_of(value: float) -> float:
            return plot_bottom - max(0.0, value) / v_max * (plot_bottom - plot_top)

        for fraction in (0, 0.5, 1):
            y = y_of(v_max * fraction)
            parts.append(
                f'<line class="wb-chart-grid" x1="{plot_left}" y1="{_num(y)}" '
                f'x2="{plot_right}" y2="{_num(y)}"></line>'
                f'<text class="wb-chart-tick" x="{plot_left - 6}" y="{_num(y + 4)}" '
                f'text-anchor="end">{escape(_fmt(v_max * fraction))}</text>'
            )
        first, last = min(w for w, _ in all_points), max(w for w, _ in all_points)
        parts.append(
            f'<text class="wb-chart-tick" x="{plot_left}" y="{plot_bottom + 16}" '
            f'text-anchor="start">{escape(_fmt_time(first, last))}</text>'
        )
        if last != first:
            parts.append(
                f'<text class="wb-chart-tick" x="{plot_right}" y="{plot_bottom + 16}" '
                f'text-anchor="end">{escape(_fmt_time(last, first))}</text>'
            )
        for index, (name, points) in enumerate(clean.items()):
            if not points:
                continue
            css = f"wb-series-{index % SERIES_CLASSES}"
            coords = " ".join(f"{_num(x_of(w))},{_num(y_of(v))}" for w, v in points)
            parts.append(
                f'<g class="wb-line"><title>{escape(name)}</title>'
                f'<polyline class="wb-line-path {css}" fill="none" points="{coords}"></polyline>'
            )
            for when, value in points:
                parts.append(
                    f'<circle class="wb-line-point {css}" cx="{_num(x_of(when))}" '
                    f'cy="{_num(y_of(value))}" r="2.5"><title>{escape(name)} '
                    f"{when:%Y-%m-%d %H:%M}: {escape(_fmt(value))}</title></circle>"
                )
            parts.append("</g>")
    for index, name in enumerate(clean):
        x = MARGIN_LEFT + (index % 3) * 190
        y = LINE_HEIGHT + (index // 3) * 20
        css = f"wb-series-{index % SERIES_CLASSES}"
        parts.append(
            f'<g class="wb-legend"><rect class="wb-legend-swatch {css}" x="{x}" y="{y - 10}" '
            f'width="12" height="12"></rect><text class="wb-chart-label" x="{x + 18}" y="{y}">'
            f"{escape(_truncate(name, 26))}</text></g>"
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fmt_time(when: datetime, other: datetime) -> str:
    return f"{when:%Y-%m-%d}" if abs((other - when).total_seconds()) >= 2 * 86400 else f"{when:%Y-%m-%d %H:%M}"

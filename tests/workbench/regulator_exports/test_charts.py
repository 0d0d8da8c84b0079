"""Server-side SVG charts: escaped labels, no inline styles, accessible titles."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import UTC, datetime, timedelta

from markupsafe import Markup

from workbench.web.charts import bar_chart, line_chart

SVG = "{http://www.w3.org/2000/svg}"


def test_bar_chart_escapes_labels_and_is_well_formed():
    svg = bar_chart([("<script>alert(1)</script>", 3), ("a & b", 1.5), ("zero", 0)], title="<b>Notices</b>")
    assert isinstance(svg, Markup)
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/script&gt;" in svg
    assert "<b>" not in svg and "style=" not in svg
    root = ET.fromstring(str(svg))
    assert root.find(f"{SVG}title").text == "<b>Notices</b>"  # shown as text, not markup
    assert "<script>alert(1)</script>: 3" in root.find(f"{SVG}desc").text
    assert root.get("role") == "img" and root.get("aria-labelledby")
    widths = [float(r.get("width")) for r in root.iter(f"{SVG}rect")]
    assert widths[0] > widths[1] > widths[2] == 0


def test_line_chart_escapes_series_names_and_plots_every_point():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    svg = line_chart(
        {"<img src=x onerror=alert(1)>": [(start + timedelta(days=n), n) for n in range(5)], "human": [(start, 2)]},
        title="Per day",
        y_label="<i>count</i>",
    )
    assert "<img" not in svg and "<i>" not in svg and "style=" not in svg
    root = ET.fromstring(str(svg))
    assert len(list(root.iter(f"{SVG}circle"))) == 6
    assert len(list(root.iter(f"{SVG}polyline"))) == 2


def test_empty_charts_say_so():
    assert "No data" in bar_chart([], title="t") and "No data" in line_chart({}, title="t")
    ET.fromstring(str(line_chart({"a": []}, title="t")))

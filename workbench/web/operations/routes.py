"""GET /operations: charts of the metric samples the sweeper stores (ops.dashboard)."""

from __future__ import annotations

from flask import render_template, request

from workbench.extensions import db, get_queue, get_redis
from workbench.pipeline import health
from workbench.services.operations.dashboard import WINDOWS_HOURS, build_dashboard
from workbench.settings import current as current_settings
from workbench.web.charts import line_chart
from workbench.web.operations.blueprint import bp
from workbench.web.permissions import require_permission


@bp.get("/operations")
@require_permission("ops.dashboard")
def dashboard():
    hours = request.args.get("hours", default=24, type=int)  # an unknown window falls back to 24 h
    board = build_dashboard(db.session, hours)
    charts = [
        (chart.title, line_chart(chart.series, title=chart.title, y_label=chart.y_label)) for chart in board.charts
    ]
    status = health.check(db.session, get_redis(), get_queue(), current_settings())
    return render_template(
        "operations/dashboard.html", board=board, charts=charts, windows=WINDOWS_HOURS, health=status
    )

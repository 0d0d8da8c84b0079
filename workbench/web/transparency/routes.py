"""GET /transparency?date_from=…&date_to=… for auditors and admins (exports.run)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from flask import render_template, request

from workbench.extensions import db
from workbench.services.exports.transparency import GROUND_LABELS, SOURCE_LABELS, transparency_figures
from workbench.web.charts import bar_chart, line_chart
from workbench.web.permissions import require_permission
from workbench.web.transparency.blueprint import bp
from workbench.web.transparency.forms import PeriodForm, default_period


def _charts(figures: dict) -> dict:
    by_category: dict[str, int] = {}
    for row in figures["notices_by_category_source"]:
        by_category[row["category"]] = by_category.get(row["category"], 0) + row["notices"]
    # Every day of the period, zero where nothing was decided, so the lines do not skip days.
    counted = {row["day"]: row for row in figures["decisions_per_day"]}
    first, last = (date.fromisoformat(figures["period"][k]) for k in ("from", "to"))
    zero = {"automated": 0, "human": 0}
    days = [
        (
            datetime.combine(first + timedelta(days=n), time.min, tzinfo=UTC),
            counted.get((first + timedelta(days=n)).isoformat(), zero),
        )
        for n in range((last - first).days + 1)
    ]
    return {
        "notices_by_source": bar_chart(
            [
                (SOURCE_LABELS.get(r["source"], r["source"]), r["notices"])
                for r in figures["notices_by_source"]
                if r["source"] != "all"
            ],
            title="Notices by source",
        ),
        "notices_by_category": bar_chart(
            sorted(by_category.items(), key=lambda kv: (-kv[1], kv[0])), title="Notices by category"
        ),
        "actions_by_ground": bar_chart(
            [
                (f"{GROUND_LABELS.get(r['decision_ground'], r['decision_ground'])} · {mode}", r[mode])
                for r in figures["actions_by_ground"]
                for mode in ("automated", "human")
            ],
            title="Restrictions by ground, automated and human",
        ),
        "decisions_per_day": line_chart(
            {
                "Automated": [(day, row["automated"]) for day, row in days],
                "Human": [(day, row["human"]) for day, row in days],
            },
            title="Decisions per day",
            y_label="decisions",
        ),
    }


@bp.get("/transparency")
@require_permission("exports.run")
def report():
    form = PeriodForm(request.args)
    if not request.args:
        form.date_from.data, form.date_to.data = default_period()
        valid = True
    else:
        valid = form.validate()
    figures = charts = None
    if valid:
        figures = transparency_figures(db.session, form.date_from.data, form.date_to.data)
        charts = _charts(figures)
    return render_template(
        "transparency/report.html",
        form=form,
        figures=figures,
        charts=charts,
        ground_labels=GROUND_LABELS,
        source_labels=SOURCE_LABELS,
    ), (200 if valid else 400)

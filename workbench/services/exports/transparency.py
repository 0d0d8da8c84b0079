"""DSA transparency report figures (Art. 15 and 24) for a period, and their CSV files.

Every figure is an SQL aggregate (GROUP BY, COUNT, and medians read with ORDER BY/OFFSET), so
the cost does not grow with Python loops over rows; the only Python work is over the grouped
rows (a few dozen). Periods are whole UTC days, both ends inclusive.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path

from sqlalchemy import Float, and_, case, cast, func, literal, select
from sqlalchemy.orm import Session

from policies.vocabulary import REPORT_SOURCES, RESTRICTING_ACTIONS
from workbench import audit
from workbench.audit import Actor
from workbench.models import Appeal, Decision, Report
from workbench.models.appeal import AppealStatus, DecisionReversal
from workbench.services.policy.runtime import published_policies

NO_STATEMENT = "NONE"  # a restriction outside the EU/EEA whose rule names no ground
GROUND_LABELS = {
    "DECISION_GROUND_ILLEGAL_CONTENT": "Illegal content (law)",
    "DECISION_GROUND_INCOMPATIBLE_CONTENT": "Terms of service",
    NO_STATEMENT: "Not stated",
}
SOURCE_LABELS = {
    "user": "Users (Art. 16)",
    "trusted_flagger": "Trusted flaggers (Art. 22)",
    "authority_order": "Authority orders (Art. 9)",
}

Progress = Callable[[int, int], None]  # (tables written, tables in the report)


def period_bounds(date_from: date, date_to: date) -> tuple[datetime, datetime]:
    """[first day 00:00 UTC, the day after the last day 00:00 UTC)."""
    if date_to < date_from:
        raise ValueError("the period ends before it starts")
    return (
        datetime.combine(date_from, time.min, tzinfo=UTC),
        datetime.combine(date_to + timedelta(days=1), time.min, tzinfo=UTC),
    )


def _seconds_between(session: Session, start, end):
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _utc_day(session: Session, column):
    if session.get_bind().dialect.name == "postgresql":
        return func.to_char(func.timezone("UTC", column), "YYYY-MM-DD")
    return func.strftime("%Y-%m-%d", column)  # SQLite stores UTC


def _median(session: Session, values) -> float | None:
    """Median of one column of a subquery: its middle row(s) picked by the database."""
    n = session.scalar(select(func.count()).select_from(values)) or 0
    if not n:
        return None
    column = values.c.seconds
    middle = session.scalars(select(column).order_by(column).offset((n - 1) // 2).limit(2 - n % 2)).all()
    return sum(float(v) for v in middle) / len(middle)


def _hours(seconds: float | None) -> float | None:
    return round(seconds / 3600.0, 2) if seconds is not None else None


def _rule_legal(session: Session, cache: dict, jurisdiction: str, rule_id: str) -> dict:
    """The legal mapping of a published rule, for restrictions that carry no statement of reasons."""
    key = (jurisdiction, rule_id)
    if key not in cache:
        pack = published_policies(session).pack(jurisdiction)
        try:
            cache[key] = dict(pack.rule(rule_id).legal.fields) if pack is not None else {}
        except KeyError:
            cache[key] = {}
    return cache[key]


def _notices(session: Session, start: datetime, end: datetime) -> tuple[list[dict], list[dict]]:
    in_period = and_(Report.received_at >= start, Report.received_at < end)
    by_category = [
        {"category": category, "source": source, "notices": count}
        for category, source, count in session.execute(
            select(Report.category, Report.source, func.count(Report.id))
            .where(in_period)
            .group_by(Report.category, Report.source)
            .order_by(func.count(Report.id).desc(), Report.category, Report.source)
        )
    ]
    # The first decision on the item once the notice arrived, whatever its outcome (keeping the
    # content is an action on the notice too); reversals on appeal are not the first action.
    first_decision = (
        select(func.min(Decision.decided_at))
        .where(
            Decision.item_id == Report.item_id, Decision.decided_at >= Report.received_at, Decision.outcome != "restore"
        )
        .correlate(Report)
        .scalar_subquery()
    )
    handled = (
        select(
            Report.source.label("source"), Report.received_at.label("received_at"), first_decision.label("decided_at")
        )
        .where(in_period)
        .subquery()
    )
    delays = (
        select(
            handled.c.source, _seconds_between(session, handled.c.received_at, handled.c.decided_at).label("seconds")
        )
        .where(handled.c.decided_at.is_not(None))
        .subquery()
    )
    counts = dict(
        session.execute(select(Report.source, func.count(Report.id)).where(in_period).group_by(Report.source)).all()
    )
    decided = dict(session.execute(select(delays.c.source, func.count()).group_by(delays.c.source)).all())
    by_source = []
    for source in sorted(set(REPORT_SOURCES) | set(counts)):
        one = select(delays.c.seconds).where(delays.c.source == source).subquery()
        by_source.append(
            {
                "source": source,
                "notices": counts.get(source, 0),
                "decided": decided.get(source, 0),
                "median_hours_to_action": _hours(_median(session, one)),
            }
        )
    every = select(delays.c.seconds).subquery()
    by_source.append(
        {
            "source": "all",
            "notices": sum(counts.values()),
            "decided": sum(decided.values()),
            "median_hours_to_action": _hours(_median(session, every)),
        }
    )
    return by_category, by_source


def _actions(session: Session, start: datetime, end: datetime) -> tuple[list[dict], list[dict]]:
    """Restrictions by DSA decision ground and by category, automated vs human."""
    sor = Decision.statement_of_reasons
    restrictions = (
        select(
            sor["decision_ground"].as_string().label("ground"),
            sor["category"].as_string().label("category"),
            Decision.rule_jurisdiction,
            Decision.rule_id,
            Decision.automated,
            Decision.id,
        )
        .where(Decision.decided_at >= start, Decision.decided_at < end, Decision.outcome.in_(RESTRICTING_ACTIONS))
        .subquery()
    )
    columns = (
        restrictions.c.ground,
        restrictions.c.category,
        restrictions.c.rule_jurisdiction,
        restrictions.c.rule_id,
        restrictions.c.automated,
    )
    rows = session.execute(select(*columns, func.count(restrictions.c.id)).group_by(*columns)).all()
    cache: dict = {}
    grounds: dict[str, dict] = {}
    categories: dict[str, dict] = {}
    for ground, category, jurisdiction, rule_id, automated, count in rows:
        if not ground:
            legal = _rule_legal(session, cache, jurisdiction, rule_id)
            ground, category = legal.get("decision_ground") or NO_STATEMENT, legal.get("category") or NO_STATEMENT
        mode = "automated" if automated else "human"
        for table, key in ((grounds, ground), (categories, category or NO_STATEMENT)):
            row = table.setdefault(key, {"automated": 0, "human": 0})
            row[mode] += count

    def as_rows(table, name):
        rows = ({name: key, **row, "total": row["automated"] + row["human"]} for key, row in table.items())
        return sorted(rows, key=lambda r: (-r["total"], r[name]))

    return as_rows(grounds, "decision_ground"), as_rows(categories, "category")


def _decisions(session: Session, start: datetime, end: datetime) -> tuple[list[dict], list[dict]]:
    in_period = and_(Decision.decided_at >= start, Decision.decided_at < end)
    automated = func.sum(case((Decision.automated, 1), else_=0))
    human = func.sum(case((Decision.automated, 0), else_=1))
    by_outcome = [
        {"outcome": outcome, "automated": int(a or 0), "human": int(h or 0)}
        for outcome, a, h in session.execute(
            select(Decision.outcome, automated, human)
            .where(in_period)
            .group_by(Decision.outcome)
            .order_by(Decision.outcome)
        )
    ]
    day = _utc_day(session, Decision.decided_at)
    per_day = [
        {"day": d, "automated": int(a or 0), "human": int(h or 0)}
        for d, a, h in session.execute(select(day, automated, human).where(in_period).group_by(day).order_by(day))
    ]
    return by_outcome, per_day


def _complaints(session: Session, start: datetime, end: datetime) -> dict:
    received = (
        session.scalar(select(func.count(Appeal.id)).where(Appeal.received_at >= start, Appeal.received_at < end)) or 0
    )
    decided_in_period = and_(Appeal.status == AppealStatus.DECIDED, Appeal.decided_at >= start, Appeal.decided_at < end)
    outcomes = dict(
        session.execute(
            select(Appeal.outcome, func.count(Appeal.id)).where(decided_in_period).group_by(Appeal.outcome)
        ).all()
    )
    durations = (
        select(cast(_seconds_between(session, Appeal.received_at, Appeal.decided_at), Float).label("seconds"))
        .where(decided_in_period)
        .subquery()
    )
    reversals = (
        session.scalar(
            select(func.count(literal(1)))
            .select_from(DecisionReversal)
            .where(DecisionReversal.reversed_at >= start, DecisionReversal.reversed_at < end)
        )
        or 0
    )
    return {
        "received": received,
        "decided": sum(outcomes.values()),
        "upheld": outcomes.get("uphold", 0),
        "overturned": outcomes.get("overturn", 0),
        "reversals": reversals,
        "median_hours_to_decide": _hours(_median(session, durations)),
    }


def transparency_figures(session: Session, date_from: date, date_to: date) -> dict:
    """The figures for [date_from, date_to] (UTC days, inclusive). Read-only."""
    start, end = period_bounds(date_from, date_to)
    by_category, by_source = _notices(session, start, end)
    by_ground, action_categories = _actions(session, start, end)
    by_outcome, per_day = _decisions(session, start, end)
    total = next(row for row in by_source if row["source"] == "all")
    source_count = {row["source"]: row["notices"] for row in by_source}
    return {
        "period": {"from": date_from.isoformat(), "to": date_to.isoformat()},
        "notices_total": total["notices"],
        "trusted_flagger_notices": source_count.get("trusted_flagger", 0),
        "authority_orders": source_count.get("authority_order", 0),
        "median_hours_to_action": total["median_hours_to_action"],
        "notices_by_category_source": by_category,
        "notices_by_source": by_source,
        "actions_by_ground": by_ground,
        "actions_by_category": action_categories,
        "actions_total": sum(row["total"] for row in by_ground),
        "actions_automated": sum(row["automated"] for row in by_ground),
        "actions_human": sum(row["human"] for row in by_ground),
        "decisions_by_outcome": by_outcome,
        "decisions_per_day": per_day,
        "complaints": _complaints(session, start, end),
    }


TABLES = {  # file name → (figures key, columns)
    "notices_by_category_source.csv": ("notices_by_category_source", ["category", "source", "notices"]),
    "notices_by_source.csv": ("notices_by_source", ["source", "notices", "decided", "median_hours_to_action"]),
    "actions_by_ground.csv": ("actions_by_ground", ["decision_ground", "automated", "human", "total"]),
    "actions_by_category.csv": ("actions_by_category", ["category", "automated", "human", "total"]),
    "decisions_by_outcome.csv": ("decisions_by_outcome", ["outcome", "automated", "human"]),
    "decisions_per_day.csv": ("decisions_per_day", ["day", "automated", "human"]),
}


def summary_rows(figures: dict) -> list[dict]:
    rows = [
        ("period_from", figures["period"]["from"]),
        ("period_to", figures["period"]["to"]),
        ("notices_total", figures["notices_total"]),
        ("trusted_flagger_notices", figures["trusted_flagger_notices"]),
        ("authority_orders", figures["authority_orders"]),
        ("median_hours_to_action", figures["median_hours_to_action"]),
        ("actions_total", figures["actions_total"]),
        ("actions_automated", figures["actions_automated"]),
        ("actions_human", figures["actions_human"]),
    ]
    rows += [(f"complaints_{key}", value) for key, value in figures["complaints"].items()]
    return [{"figure": key, "value": "" if value is None else value} for key, value in rows]


def write_transparency_report(
    session: Session, date_from: date, date_to: date, out_dir, *, actor: Actor, progress: Progress | None = None
) -> list[Path]:
    """One CSV per table (plus summary.csv) in `out_dir`; the export is audited (commits)."""
    figures = transparency_figures(session, date_from, date_to)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tables = [("summary.csv", summary_rows(figures), ["figure", "value"])]
    tables += [(name, figures[key], columns) for name, (key, columns) in TABLES.items()]
    written = []
    for index, (name, rows, columns) in enumerate(tables, start=1):
        path = out / name
        with open(path, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=columns, extrasaction="ignore")
            writer.writeheader()
            for row in rows:
                writer.writerow({k: _csv_safe(v) for k, v in row.items()})
        written.append(path)
        if progress:
            progress(index, len(tables))
    audit.record(
        session,
        actor,
        "export.transparency",
        "export",
        f"transparency-{date_from}-{date_to}",
        date_from=date_from.isoformat(),
        date_to=date_to.isoformat(),
        files=[p.name for p in written],
        notices=figures["notices_total"],
        actions=figures["actions_total"],
    )
    session.commit()
    return written


def _csv_safe(value):
    """Categories come from platforms: never let a spreadsheet read one as a formula."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value

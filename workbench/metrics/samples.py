"""Copying the /metrics figures into `metric_samples`, for the operations dashboard.

The sweeper calls `sample_if_due` on every round; a sample is taken when the newest one
is older than WORKBENCH_METRIC_SAMPLE_INTERVAL_S (so several sweepers do not multiply the
rows by much), and rows older than WORKBENCH_METRIC_RETENTION_DAYS are deleted in the same
round. A sample holds every gauge and counter as /metrics shows them, and the `_sum` and
`_count` of each histogram (the dashboard charts mean latency per interval from them).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session

from workbench.metrics.gauges import collect_gauges
from workbench.metrics.registry import read_counters, read_histograms
from workbench.models import MetricSample
from workbench.models.base import utcnow
from workbench.settings import Settings

log = logging.getLogger(__name__)


def current_figures(session: Session, redis) -> list[tuple[str, str, float]]:
    """(name, labels, value) for everything worth charting, read now."""
    figures: list[tuple[str, str, float]] = []
    try:
        for name, samples in read_counters(redis).items():
            figures += [(name, labels, value) for labels, value in samples.items()]
        for name, fields in read_histograms(redis).items():
            for field, value in fields.items():
                labels, _, part = field.rpartition("|")
                if part == "sum":
                    figures.append((f"{name}_sum", labels, value))
                elif part == "+Inf":
                    figures.append((f"{name}_count", labels, value))
    except RedisError as exc:  # the gauges from the database are still worth keeping
        log.warning("metric samples without the Redis counters: %s", exc)
    for gauge in collect_gauges(session, redis):
        figures += [(gauge.name, labels, float(value)) for labels, value in gauge.samples]
    return figures


def take_sample(session: Session, redis, now: datetime | None = None) -> int:
    """Store one sample of every figure; returns the number of rows written."""
    now = now or utcnow()
    rows = [
        {"taken_at": now, "name": name[:80], "labels": labels[:200], "value": value}
        for name, labels, value in current_figures(session, redis)
    ]
    if rows:
        session.execute(insert(MetricSample), rows)
    session.commit()
    return len(rows)


def prune(session: Session, retention: timedelta, now: datetime | None = None) -> int:
    result = session.execute(delete(MetricSample).where(MetricSample.taken_at < (now or utcnow()) - retention))
    session.commit()
    return result.rowcount or 0


def sample_if_due(session: Session, redis, settings: Settings, now: datetime | None = None) -> int:
    """The sweeper's part: a sample when one is due, and pruning. Returns the rows written.
    Never raises: a failed sample must not stop the sweeper's other work (logged, retried)."""
    try:
        return _sample_if_due(session, redis, settings, now)
    except Exception:  # noqa: BLE001 - e.g. the database away; the next round tries again
        session.rollback()
        log.exception("storing a metric sample failed; retrying next round")
        return 0


def _sample_if_due(session: Session, redis, settings: Settings, now: datetime | None) -> int:
    now = now or utcnow()
    interval = timedelta(seconds=settings.metric_sample_interval_s)
    last = session.scalar(select(func.max(MetricSample.taken_at)))
    session.rollback()
    if last is not None and now - last < interval:
        return 0
    written = take_sample(session, redis, now)
    prune(session, timedelta(days=settings.metric_retention_days), now)
    return written

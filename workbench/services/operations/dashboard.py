"""The operations dashboard's charts, built from the stored metric samples.

Gauges (queue depth, oldest case, cases past deadline, backlog) are charted as sampled.
Counters (job failures, re-queues, webhook failures) are cumulative: each point is the
increase since the previous sample. Latencies are the mean per interval, from the
increase of a histogram's `_sum` divided by the increase of its `_count`.
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.models import MetricSample
from workbench.models.base import utcnow

WINDOWS_HOURS = (1, 6, 24, 24 * 7)
MAX_POINTS = 240  # per series: a week of minute samples is thinned to this many
_LABEL = re.compile(r'(\w+)="([^"]*)"')

Series = dict[str, list[tuple[datetime, float]]]


@dataclass(frozen=True)
class Chart:
    title: str
    y_label: str
    series: Series


@dataclass(frozen=True)
class Dashboard:
    hours: int
    samples: int
    last_sample_at: datetime | None
    charts: list[Chart]


def _label_text(labels: str, name: str | None = None) -> str:
    found = dict(_LABEL.findall(labels))
    if name is not None:
        return found.get(name, "")
    return ", ".join(f"{key}={value}" for key, value in found.items()) or "all"


def _thin(times: list[datetime]) -> set[datetime]:
    stride = max(1, -(-len(times) // MAX_POINTS))
    kept = set(times[::stride])
    if times:
        kept.add(times[-1])
    return kept


def _load(
    session: Session, since: datetime
) -> tuple[dict[str, dict[str, list[tuple[datetime, float]]]], list[datetime]]:
    rows = session.execute(
        select(MetricSample.taken_at, MetricSample.name, MetricSample.labels, MetricSample.value)
        .where(MetricSample.taken_at >= since)
        .order_by(MetricSample.taken_at)
    ).all()
    by_name: dict[str, dict[str, list[tuple[datetime, float]]]] = defaultdict(lambda: defaultdict(list))
    times: list[datetime] = []
    for taken_at, name, labels, value in rows:
        if not times or times[-1] != taken_at:
            times.append(taken_at)
        by_name[name][labels].append((taken_at, value))
    return by_name, times


def _gauge(data, name: str, label: str, scale: float = 1.0, kept=None) -> Series:
    series: Series = {}
    for labels, points in sorted(data.get(name, {}).items()):
        series[_label_text(labels, label) or "all"] = [(t, v * scale) for t, v in points if kept is None or t in kept]
    return series


def _increase(points: list[tuple[datetime, float]], times: list[datetime]) -> list[tuple[datetime, float]]:
    """Per sample, the counter's increase since the previous sample. A counter first seen
    after the window's first sample started from zero at the sample before."""
    if points and points[0][0] != times[0]:
        before = [t for t in times if t < points[0][0]]
        if before:
            points = [(before[-1], 0.0), *points]
    out = []
    for (_, previous), (when, value) in zip(points, points[1:]):
        out.append((when, value - previous if value >= previous else value))  # a reset starts from zero
    return out


def _counter(data, name: str, names: dict[str, str], times, kept) -> Series:
    """`names`: labels text -> series name; only those series are charted."""
    series: Series = {}
    for labels, points in data.get(name, {}).items():
        if labels in names:
            series[names[labels]] = [(t, v) for t, v in _increase(points, times) if t in kept]
    return series


def _mean_latency(data, name: str, label: str, times, kept) -> Series:
    series: Series = {}
    counts = data.get(f"{name}_count", {})
    for labels, sums in sorted(data.get(f"{name}_sum", {}).items()):
        observed = dict(_increase(counts.get(labels, []), times))
        series[_label_text(labels, label)] = [
            (when, max(0.0, spent) / observed[when])
            for when, spent in _increase(sums, times)
            if observed.get(when, 0) > 0 and when in kept
        ]
    return series


def build_dashboard(session: Session, hours: int, now: datetime | None = None) -> Dashboard:
    now = now or utcnow()
    hours = hours if hours in WINDOWS_HOURS else 24
    data, times = _load(session, now - timedelta(hours=hours))
    last = session.scalar(select(func.max(MetricSample.taken_at)))
    session.rollback()
    kept = _thin(times)
    charts = [
        Chart(
            "Open cases per review queue",
            "cases",
            _gauge(data, "workbench_review_queue_open_cases", "queue", kept=kept),
        ),
        Chart(
            "Oldest open case per review queue",
            "minutes",
            _gauge(data, "workbench_review_queue_oldest_seconds", "queue", 1 / 60, kept),
        ),
        Chart(
            "Cases past their deadline",
            "cases",
            _gauge(data, "workbench_review_cases_past_deadline", "queue", kept=kept),
        ),
        Chart(
            "Pipeline backlog (jobs waiting per RQ queue)",
            "jobs",
            _gauge(data, "workbench_rq_queue_length", "queue", kept=kept),
        ),
        Chart(
            "Oldest item still in the pipeline",
            "seconds",
            _gauge(data, "workbench_pipeline_oldest_active_seconds", "", kept=kept),
        ),
        Chart(
            "Pipeline stage latency (mean per interval; classify per batch)",
            "seconds",
            _mean_latency(data, "workbench_stage_seconds", "stage", times, kept),
        ),
        Chart(
            "Classifier latency (mean per batch)",
            "seconds",
            _mean_latency(data, "workbench_classifier_seconds", "classifier", times, kept),
        ),
        Chart(
            "Job failures and retries (per interval)",
            "attempts",
            {
                **_counter(
                    data,
                    "workbench_job_failures_total",
                    {'final="false"': "failed, retried", 'final="true"': "failed for good"},
                    times,
                    kept,
                ),
                **_counter(data, "workbench_items_requeued_total", {"": "re-queued by the sweeper"}, times, kept),
            },
        ),
        Chart(
            "Webhook failures (per interval)",
            "deliveries",
            {
                **_counter(
                    data, "workbench_webhook_attempts_total", {'outcome="error"': "failed attempts"}, times, kept
                ),
                **_counter(
                    data, "workbench_webhook_failures_total", {"": "gave up (visible in the delivery log)"}, times, kept
                ),
            },
        ),
    ]
    return Dashboard(hours=hours, samples=len(times), last_sample_at=last, charts=charts)

"""Periodic samples of the operational metrics, for the team leads' dashboard.

/metrics answers "now"; Prometheus keeps the history where one runs. The sweeper also
copies the same figures into this table every WORKBENCH_METRIC_SAMPLE_INTERVAL_S seconds and
drops rows older than WORKBENCH_METRIC_RETENTION_DAYS, so the dashboard works without one.
Counters are stored as they are (cumulative); the dashboard charts their increase.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, BigId, UTCDateTime


class MetricSample(Base):
    __tablename__ = "metric_samples"
    __table_args__ = (Index("ix_metric_samples_name_taken_at", "name", "taken_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    name: Mapped[str] = mapped_column(String(80))  # the Prometheus name, e.g. workbench_stage_seconds_sum
    labels: Mapped[str] = mapped_column(String(200), default="")  # e.g. queue="violence"
    value: Mapped[float] = mapped_column(Float)

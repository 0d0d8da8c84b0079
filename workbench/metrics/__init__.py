"""Prometheus metrics shared by every process through Redis.

Web servers, workers and the sweeper are separate processes, so counters and histograms
live in Redis hashes (HINCRBY/HINCRBYFLOAT: atomic, cheap); gauges are read from the
database when /metrics is scraped. Recording never raises: a metric must not fail the
work it measures.
"""

from workbench.metrics import review_gauges  # noqa: F401  (registers the review-queue gauges)
from workbench.metrics.registry import COUNTERS, HISTOGRAMS, inc, observe, timed

__all__ = ["COUNTERS", "HISTOGRAMS", "inc", "observe", "timed"]

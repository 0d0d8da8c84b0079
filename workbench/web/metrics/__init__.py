"""GET /metrics for Prometheus.

With WORKBENCH_METRICS_TOKEN set, a scraper sends `Authorization: Bearer <token>`;
without it, only loopback clients are answered (queue sizes are not for the public).
"""

from __future__ import annotations

from workbench.web.metrics import routes  # noqa: F401  (views register on import)
from workbench.web.metrics.blueprint import bp

__all__ = ["bp"]

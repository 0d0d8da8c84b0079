"""GET /healthz: readiness for load balancers (the HTTP status), detail for operators.

Anonymous callers learn only `ok` or `degraded`; the detail (backends, queue sizes, worker
names, missing tools) goes to the same callers as /metrics (its bearer token, or loopback)
and to signed-in users who may see the operations page.
"""

from __future__ import annotations

from workbench.web.health import routes  # noqa: F401  (views register on import)
from workbench.web.health.blueprint import bp

__all__ = ["bp"]

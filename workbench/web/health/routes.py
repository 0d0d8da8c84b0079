"""GET /healthz: readiness for load balancers (the HTTP status), detail for operators.

Anonymous callers learn only `ok` or `degraded`; the detail (backends, queue sizes, worker
names, missing tools) goes to the same callers as /metrics (its bearer token, or loopback)
and to signed-in users who may see the operations page.
"""

from __future__ import annotations

from flask_login import current_user

from workbench.extensions import db, get_queue, get_redis
from workbench.pipeline import health
from workbench.services.access.permissions import has_permission
from workbench.settings import current as current_settings
from workbench.web.health.blueprint import bp
from workbench.web.metrics.routes import scraper_allowed


@bp.get("/healthz")
def healthz():
    result = health.check(db.session, get_redis(), get_queue(), current_settings())
    with_detail = scraper_allowed() or has_permission(current_user, "ops.dashboard")
    return result.as_json(with_detail=with_detail), (200 if result.ready else 503)

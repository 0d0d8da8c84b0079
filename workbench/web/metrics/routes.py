"""GET /metrics for Prometheus.

With WORKBENCH_METRICS_TOKEN set, a scraper sends `Authorization: Bearer <token>`;
without it, only loopback clients are answered (queue sizes are not for the public).
"""

from __future__ import annotations

import hmac

from flask import Response, abort, request

from workbench.extensions import db, get_redis
from workbench.metrics.exposition import render
from workbench.settings import current as current_settings
from workbench.web.metrics.blueprint import bp


def scraper_allowed() -> bool:
    """The /metrics bearer token, or (without a token configured) a request from this machine."""
    token = current_settings().metrics_token
    if token:
        scheme, _, given = request.headers.get("Authorization", "").partition(" ")
        return scheme.lower() == "bearer" and hmac.compare_digest(given.strip(), token)
    return request.remote_addr in ("127.0.0.1", "::1")


@bp.get("/metrics")
def metrics():
    if not scraper_allowed():
        abort(403)
    return Response(render(db.session, get_redis()), mimetype="text/plain; version=0.0.4")

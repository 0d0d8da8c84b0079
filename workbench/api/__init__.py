"""REST API v1 for platforms (API-key auth with scopes, JSON errors, rate limits)."""

from __future__ import annotations

from flask import Flask

from workbench.api import (  # noqa: F401  (routes register on import)
    appeals,
    bank_lists,
    banks,
    errors,
    items,
    openapi,
    rate_limits,
    reports,
    webhooks,
)
from workbench.api.blueprint import bp
from workbench.extensions import csrf


def init_app(app: Flask) -> None:
    csrf.exempt(bp)  # API clients authenticate with a bearer key, not a session cookie
    app.register_blueprint(bp)
    errors.init_app(app)

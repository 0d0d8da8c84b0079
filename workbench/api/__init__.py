"""REST API v1 for platforms (API-key auth, JSON errors)."""
from __future__ import annotations

from flask import Blueprint, Flask

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")


def init_app(app: Flask) -> None:
    from workbench.api import errors, items, reports  # noqa: F401  (routes register on import)
    from workbench.api import webhooks  # noqa: F401
    from workbench.api import bank_lists, banks  # noqa: F401
    from workbench.api import appeals  # noqa: F401
    from workbench.api import openapi  # noqa: F401
    from workbench.extensions import csrf

    csrf.exempt(bp)  # API clients authenticate with a bearer key, not a session cookie
    app.register_blueprint(bp)
    errors.init_app(app)

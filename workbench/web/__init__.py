"""Web UI blueprints, one per feature: `web/<feature>/blueprint.py` holds its `bp`, the feature's
other modules add their views to it, and the package's `__init__` imports them all."""

from __future__ import annotations

from flask import Flask

from workbench.web import (
    account,
    appeals,
    auditor,
    auth,
    banks,
    clients,
    health,
    holds,
    home,
    metrics,
    operations,
    policies,
    privacy,
    qa,
    review,
    transparency,
    users_admin,
    wellness,
)
from workbench.web.permissions import user_can

FEATURES = (
    auth,
    banks,
    clients,
    health,
    home,
    metrics,
    privacy,
    policies,
    account,
    users_admin,
    wellness,
    review,
    holds,
    appeals,
    qa,
    auditor,
    operations,
    transparency,
)


def init_app(app: Flask) -> None:
    app.add_template_global(user_can)
    for feature in FEATURES:
        app.register_blueprint(feature.bp)

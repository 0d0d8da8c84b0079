"""Web UI blueprints, one per feature."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from workbench.web.auth.routes import bp as auth_bp
    from workbench.web.clients.routes import bp as clients_bp
    from workbench.web.health.routes import bp as health_bp
    from workbench.web.home.routes import bp as home_bp
    from workbench.web.metrics.routes import bp as metrics_bp
    from workbench.web.privacy.routes import bp as privacy_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(clients_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(privacy_bp)

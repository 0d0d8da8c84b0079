"""Web UI blueprints, one per feature."""
from __future__ import annotations

from flask import Flask


def init_app(app: Flask) -> None:
    from workbench.web.auth.routes import bp as auth_bp
    from workbench.web.banks import bp as banks_bp
    from workbench.web.clients.routes import bp as clients_bp
    from workbench.web.health.routes import bp as health_bp
    from workbench.web.home.routes import bp as home_bp
    from workbench.web.metrics.routes import bp as metrics_bp
    from workbench.web.privacy.routes import bp as privacy_bp
    from workbench.web.policies import bp as policies_bp
    from workbench.web.account import bp as account_bp
    from workbench.web.users_admin import bp as users_admin_bp
    from workbench.web.wellness import bp as wellness_bp
    from workbench.web.review import bp as review_bp
    from workbench.web.appeals import bp as appeals_bp
    from workbench.web.qa import bp as qa_bp
    from workbench.web.auditor import bp as auditor_bp
    from workbench.web.operations import bp as operations_bp
    from workbench.web.transparency import bp as transparency_bp

    app.register_blueprint(auth_bp)
    app.register_blueprint(banks_bp)
    app.register_blueprint(clients_bp)
    app.register_blueprint(health_bp)
    app.register_blueprint(home_bp)
    app.register_blueprint(metrics_bp)
    app.register_blueprint(privacy_bp)
    app.register_blueprint(policies_bp)
    app.register_blueprint(account_bp)
    app.register_blueprint(users_admin_bp)
    app.register_blueprint(wellness_bp)
    app.register_blueprint(review_bp)
    app.register_blueprint(appeals_bp)
    app.register_blueprint(qa_bp)
    app.register_blueprint(auditor_bp)
    app.register_blueprint(operations_bp)
    app.register_blueprint(transparency_bp)

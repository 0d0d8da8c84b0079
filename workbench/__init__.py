"""The moderation workbench Flask application."""

from __future__ import annotations

import os

from flask import Flask


def create_app(config: dict | None = None) -> Flask:
    """Build the app. `config` overrides what the environment says (tests use it)."""
    # Imported here, not at the top: Python runs this package's __init__ before any of its
    # modules, so importing the app's layers at the top would load them all for `import workbench.models`.
    from workbench import cli, database, extensions, logging_setup
    from workbench import settings as workbench_settings
    from workbench.api import init_app as init_api
    from workbench.config import GENERATED_PSEUDONYM_KEY, ensure_instance_secrets, flask_config
    from workbench.services.qa.reviews import install_hooks
    from workbench.services.review.authority_reports import install_hooks as install_report_hooks
    from workbench.web import init_app as init_web
    from workbench.web import security

    instance_path = (config or {}).get("INSTANCE_PATH") or os.environ.get("WORKBENCH_INSTANCE_PATH")
    app = Flask(
        __name__, instance_path=os.path.abspath(instance_path) if instance_path else None, instance_relative_config=True
    )
    os.makedirs(app.instance_path, exist_ok=True)
    # Overrides named like a setting (WORKBENCH_*, SECRET_KEY, REDIS_URL...) are validated into the
    # settings as if they came from the environment; the rest are Flask's own keys.
    named, external = workbench_settings.names(), workbench_settings.external_names()
    overrides = {
        k: v for k, v in (config or {}).items() if k in named or (k.startswith("WORKBENCH_") and k not in external)
    }
    settings = workbench_settings.Settings.from_env(os.environ, app.instance_path, overrides)
    settings, generated_key = ensure_instance_secrets(settings, app.instance_path)
    workbench_settings.install(app, settings)
    app.extensions[GENERATED_PSEUDONYM_KEY] = generated_key
    app.config.update(flask_config(settings, app.instance_path))
    app.config.update({k: v for k, v in (config or {}).items() if k not in overrides})
    app.context_processor(lambda: {"settings": workbench_settings.of(app)})  # templates read settings.<name>

    logging_setup.init_app(app)
    database.configure_engine_options(app)
    extensions.db.init_app(app)
    with app.app_context():
        database.install_sqlite_hooks(extensions.db.engine)
    extensions.migrate.init_app(
        app, extensions.db, directory=os.path.join(os.path.dirname(app.root_path), "migrations")
    )
    extensions.init_redis(app)
    security.init_app(app)
    init_api(app)
    init_web(app)
    cli.init_app(app)
    install_hooks()  # QA sampling and the appeal-case guard join the review decision hooks
    install_report_hooks()  # a decision's evidence holds and the report to an authority it calls for
    return app

"""Extension objects, unbound until `init_app`, and the Redis/queue accessors."""

from __future__ import annotations

from flask import Flask, current_app
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf import CSRFProtect
from redis import Redis
from rq import Queue

from workbench.models.base import Base
from workbench.settings import current as current_settings

db = SQLAlchemy(model_class=Base)
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()


def redis_url_for(app: Flask) -> str:
    if app.config["REDIS_URL"]:
        return app.config["REDIS_URL"]
    return "unix://" + app.config["REDIS_EMBEDDED_SOCKET"]


def init_redis(app: Flask) -> None:
    # A client does not connect until first use, so this has no side effect.
    app.extensions["workbench_redis"] = Redis.from_url(
        redis_url_for(app), socket_connect_timeout=2, socket_timeout=10, health_check_interval=30
    )


def get_redis() -> Redis:
    return current_app.extensions["workbench_redis"]


def get_queue(name: str | None = None) -> Queue:
    return Queue(name or current_settings().pipeline_queue, connection=get_redis())

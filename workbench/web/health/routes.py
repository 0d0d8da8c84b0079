"""GET /healthz: database, Redis and worker status for load balancers and operators."""
from __future__ import annotations

from flask import Blueprint, current_app
from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy import text

from workbench.extensions import db, get_queue, get_redis

bp = Blueprint("health", __name__)


def _database() -> dict:
    try:
        db.session.execute(text("SELECT 1"))
        db.session.rollback()
        return {"ok": True, "backend": db.engine.dialect.name}
    except Exception as exc:  # any failure here means "not healthy", never a 500
        db.session.rollback()
        return {"ok": False, "error": type(exc).__name__}


def _redis_and_workers() -> tuple[dict, dict]:
    try:
        redis = get_redis()
        redis.ping()
        queue = get_queue()
        workers = Worker.all(connection=redis)
        return ({"ok": True, "embedded": current_app.config["REDIS_EMBEDDED"], "queued": queue.count},
                {"ok": len(workers) > 0, "count": len(workers)})
    except RedisError as exc:
        return {"ok": False, "error": type(exc).__name__}, {"ok": False, "count": 0}


def _batch_workers() -> dict:
    """The classify workers (a batched stage's own processes), e.g. {"classify": {...}}."""
    from workbench.pipeline import runner  # noqa: F401  (registers every stage)
    from workbench.pipeline.batch_queue import batch_stage_health
    try:
        return batch_stage_health(current_app.config, get_redis())
    except RedisError as exc:
        return {"classify": {"ok": False, "error": type(exc).__name__}}


@bp.get("/healthz")
def healthz():
    database = _database()
    redis, workers = _redis_and_workers()
    batch_workers = _batch_workers() if redis["ok"] else {}
    healthy = database["ok"] and redis["ok"] and workers["ok"] and all(b["ok"] for b in batch_workers.values())
    body = {"status": "ok" if healthy else "degraded", "database": database, "redis": redis, "workers": workers,
            **batch_workers}
    return body, (200 if healthy else 503)

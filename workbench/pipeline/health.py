"""Is the workbench able to serve, and is anything switched off? (/healthz, the operations page)

`ready` is what a load balancer needs: the database, Redis, at least one worker and, while
classifiers are configured, a classify worker. `status` is `ok`, or `degraded` when something
is not ready or an optional tool is missing somewhere (the workbench still serves then, with
that feature off: see services/operations/capabilities.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.exceptions import RedisError
from rq import Worker
from sqlalchemy import text
from sqlalchemy.orm import Session

from workbench.pipeline import runner  # noqa: F401  (registers every stage, batched ones included)
from workbench.pipeline.batch_queue import batch_stage_health
from workbench.services.operations import capabilities
from workbench.settings import Settings


@dataclass
class Health:
    ready: bool
    detail: dict = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        return "ok" if self.ready and not self.reasons else "degraded"

    def as_json(self, *, with_detail: bool) -> dict:
        if not with_detail:
            return {"status": self.status}
        return {"status": self.status, "ready": self.ready, "reasons": self.reasons, **self.detail}


def _database(session: Session) -> dict:
    try:
        session.execute(text("SELECT 1"))
        session.rollback()
        return {"ok": True, "backend": session.get_bind().dialect.name}
    except Exception as exc:  # noqa: BLE001 - any failure here means "not healthy", never a 500
        session.rollback()
        return {"ok": False, "error": type(exc).__name__}


def check(session: Session, redis, queue, settings: Settings) -> Health:
    database = _database(session)
    detail: dict = {"database": database}
    try:
        redis.ping()
        workers = Worker.all(connection=redis)
        detail["redis"] = {"ok": True, "embedded": not settings.redis_url, "queued": queue.count}
        detail["workers"] = {"ok": len(workers) > 0, "count": len(workers)}
        detail.update(batch_stage_health(settings, redis))
        missing = capabilities.missing_report(redis, [worker.name for worker in workers])
    except RedisError as exc:
        detail["redis"] = {"ok": False, "error": type(exc).__name__}
        detail["workers"] = {"ok": False, "count": 0}
        missing = {
            capability.name: {"feature": capability.feature, "reason": capability.missing_reason, "where": ["web"]}
            for capability in capabilities.missing_here()
        }
    detail["capabilities"] = {
        capability.name: {"ok": capability.name not in missing, **missing.get(capability.name, {})}
        for capability in capabilities.CAPABILITIES
    }
    reasons = [
        f"{name} is not ready"
        for name, part in detail.items()
        if isinstance(part, dict) and part.get("ok") is False and name != "capabilities"
    ]
    reasons += [f"{info['reason']} on {', '.join(info['where'])}: {info['feature']}" for info in missing.values()]
    ready = all(part.get("ok", True) for name, part in detail.items() if name != "capabilities")
    return Health(ready=ready, detail=detail, reasons=reasons)

"""Finding items the queue lost and queueing them again.

The database is the source of truth. An item sitting in a non-final status with no
live job (Redis restarted, the job was dropped, a worker was killed mid-job) is queued
again; the stages are idempotent, so a rerun finishes it exactly once.

Items waiting for a batched stage (classify) have no job on purpose: their job ended when
it handed them to the stage's batch queue. They are left alone while the batch queue holds
them, and recovered when it does not (Redis flushed, an entry lost); ids a killed batch
worker had taken are handed back to the queue first.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.metrics import inc
from workbench.models import Item, ItemStatus
from workbench.models.base import utcnow
from workbench.pipeline.batch_queue import BatchQueue, batch_queue_for
from workbench.pipeline.stages import batched_stages, next_stage
from workbench.queues import discard_job, enqueue_item, job_status
from workbench.services.review.case_actions import expire_leases
from workbench.settings import Settings

log = logging.getLogger(__name__)
SWEEPER = Actor.system("sweeper")
WAITING = {"queued", "scheduled", "deferred"}


@dataclass(frozen=True)
class SweepSettings:
    """Built by `sweep_settings` from the app's Settings."""

    lost_after_s: float  # no job, or a dead one: requeue after this long
    stuck_after_s: float  # a job that claims to be running but made no progress
    app_settings: Settings  # which stages run follows the classifiers setting


def _needs_requeue(state: str | None, idle_s: float, settings: SweepSettings) -> bool:
    if state in WAITING:
        return False
    if state == "started":
        return idle_s >= settings.stuck_after_s
    return idle_s >= settings.lost_after_s  # missing, failed, stopped, canceled, finished


def sweep(session: Session, settings: SweepSettings, *, now: datetime | None = None, limit: int = 1000) -> list[int]:
    """Requeue lost items; returns their ids. Safe to run from several processes."""
    now = now or utcnow()
    cutoff = now - timedelta(seconds=min(settings.lost_after_s, settings.stuck_after_s))
    queues = {stage.name: batch_queue_for(stage.name) for stage in batched_stages(settings.app_settings)}
    for queue in queues.values():
        recovered = queue.recover_abandoned()
        if recovered:
            log.warning(
                "sweeper: %d item(s) taken by a dead %s worker are queued again: %s",
                len(recovered),
                queue.stage,
                recovered[:20],
            )
    candidates = _candidates(session, cutoff, limit, queues, settings)
    session.rollback()
    requeued = []
    for item_id in candidates:
        state = job_status(item_id)
        item = session.scalar(select(Item).where(Item.id == item_id).with_for_update(of=Item))
        if item is None or item.is_final:
            session.rollback()
            continue
        idle_s = (now - item.updated_at).total_seconds()
        if not _needs_requeue(state, idle_s, settings):
            session.rollback()
            continue
        item.updated_at = now  # another sweeper that gets here next sees a fresh item
        audit.record(
            session,
            SWEEPER,
            "item.requeued",
            "item",
            item.id,
            job_state=state or "missing",
            idle_s=round(idle_s, 1),
            stage_completed=item.stage,
        )
        session.commit()
        discard_job(item_id)
        if enqueue_item(item_id):
            requeued.append(item_id)
    if requeued:
        inc("workbench_items_requeued_total", len(requeued))
        log.info("sweeper requeued %d item(s): %s", len(requeued), requeued[:20])
    expire_review_leases(session, now=now)
    return requeued


def expire_review_leases(session: Session, *, now: datetime | None = None) -> int:
    """Every sweep hands expired review claims back to their queues, one audit event each
    (case.lease_expired), so the queue overview counts them free and the log says when."""
    expired = expire_leases(session, now=now)
    if expired:
        log.info("sweeper returned %d case(s) with an expired lease to their queues", expired)
    return expired


def _candidates(
    session: Session, cutoff: datetime, limit: int, queues: dict[str, BatchQueue], settings: SweepSettings
) -> list[int]:
    """Active items idle since `cutoff`, oldest first, leaving out those a batch queue holds.
    Pages on (updated_at, id) so a long batch backlog cannot hide lost items behind it."""
    found: list[int] = []
    after = None
    for _ in range(20):
        query = select(Item.id, Item.stage, Item.updated_at).where(
            Item.status.in_(ItemStatus.ACTIVE), Item.updated_at <= cutoff
        )
        if after is not None:
            query = query.where(or_(Item.updated_at > after[0], and_(Item.updated_at == after[0], Item.id > after[1])))
        rows = session.execute(query.order_by(Item.updated_at, Item.id).limit(limit)).all()
        for row in rows:
            following = next_stage(row.stage, settings.app_settings)
            queue = queues.get(following.name) if following is not None else None
            if queue is None or not queue.holds(row.id, verify_after_s=settings.stuck_after_s):
                found.append(row.id)
        if len(found) >= limit or len(rows) < limit:
            return found[:limit]
        after = (rows[-1].updated_at, rows[-1].id)
    return found[:limit]


def sweep_settings(settings: Settings, **thresholds: float) -> SweepSettings:
    """The sweeper's view of `settings`; `thresholds` replace lost_after_s or stuck_after_s
    (tests sweep at once, below the minimum the environment accepts)."""
    values = {"lost_after_s": settings.lost_after_s, "stuck_after_s": settings.stuck_after_s, **thresholds}
    return SweepSettings(app_settings=settings, **values)

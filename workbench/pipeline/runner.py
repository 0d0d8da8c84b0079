"""Running the registered stages for one item, and recording failures.

Each stage is its own transaction: the item row is locked, the stage's rows, the
item's new position and the audit event commit together. A rerun (retry, sweeper,
duplicate job) resumes after the last committed stage and never repeats one.

A batched stage (classify) is not run here: the item is handed off to the stage's batch
queue and the job ends; the batch worker runs the stage and queues the job again.
"""

from __future__ import annotations

import logging

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.faults import pause_point
from workbench.metrics import inc, timed
from workbench.models import Item, ItemStatus
from workbench.models.base import utcnow
from workbench.pipeline import (  # noqa: F401  (register the stages)  # noqa: F401  (register the stages)
    classify_stage,
    hash_stage,
    policy_stage,
    route_stage,
)
from workbench.pipeline.batch_queue import batch_queue_for
from workbench.pipeline.stages import Stage, StageContext, stages_after

log = logging.getLogger(__name__)
PIPELINE = Actor.system("pipeline")
MAX_ERROR_CHARS = 2000


def _lock_item(session: Session, item_id: int) -> Item | None:
    # FOR UPDATE serialises concurrent runs of the same item on PostgreSQL; SQLite's
    # BEGIN IMMEDIATE (see workbench.database) does the same for the whole database.
    return session.scalar(select(Item).where(Item.id == item_id).with_for_update(of=Item))


def run_pipeline(session: Session, item_id: int, ctx: StageContext) -> str:
    """Run every remaining stage; returns the item's final status."""
    while True:
        item = _lock_item(session, item_id)
        if item is None:
            session.rollback()
            log.warning("item %s vanished before processing", item_id)
            return "missing"
        if item.is_final:
            session.rollback()
            return item.status
        remaining = stages_after(item.stage, ctx.settings)
        if not remaining:
            _finish(session, item)
            return item.status
        stage = remaining[0]
        if stage.batched:
            return _hand_off(session, item, stage)
        with timed("workbench_stage_seconds", stage=stage.name):
            summary = stage.run(session, item, ctx)
        item.stage = stage.name
        item.status = ItemStatus.PROCESSING
        item.updated_at = utcnow()
        audit.record(session, PIPELINE, "item.stage_completed", "item", item.id, stage=stage.name, **summary)
        last = len(remaining) == 1
        if last:  # the last stage: finish in the same transaction, one commit saved
            _mark_processed(session, item)
        pause_point(stage.name, "before_commit")  # test-only crash hook (workbench/faults.py)
        session.commit()
        pause_point(stage.name, "after_commit")
        if last:
            return item.status


def _hand_off(session: Session, item: Item, stage: Stage) -> str:
    """Queue the item for a batched stage, after releasing its lock."""
    if item.status != ItemStatus.PROCESSING:
        item.status = ItemStatus.PROCESSING
        item.updated_at = utcnow()
        session.commit()
    else:
        session.rollback()
    batch_queue_for(stage.name).hand_off([item.id])
    return f"waiting for {stage.name}"


def _finish(session: Session, item: Item) -> None:
    _mark_processed(session, item)
    session.commit()


def _mark_processed(session: Session, item: Item) -> None:
    now = utcnow()
    item.status = ItemStatus.PROCESSED
    item.error = None
    item.updated_at = now
    item.finished_at = now
    audit.record(session, PIPELINE, "item.processed", "item", item.id, stage=item.stage)


def record_failure(session: Session, item_id: int, error: BaseException, *, final: bool) -> None:
    """Count a failed attempt; after the last retry the item ends in status `error`."""
    item = _lock_item(session, item_id)
    if item is None or item.is_final:
        session.rollback()
        return
    reason = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
    now = utcnow()
    item.attempts += 1
    item.error = reason
    item.updated_at = now
    if final:
        item.status = ItemStatus.ERROR
        item.finished_at = now
    audit.record(
        session,
        PIPELINE,
        "item.failed" if final else "item.attempt_failed",
        "item",
        item.id,
        stage_completed=item.stage,
        attempt=item.attempts,
        reason=reason,
    )
    session.commit()
    inc("workbench_job_failures_total", final=str(final).lower())

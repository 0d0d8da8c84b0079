"""The batch worker: runs a batched stage (classify) for many items at once.

One long-running process per model set (`flask classify-worker`). It loads the models once,
then loops: take up to N item ids from the stage's queue (or what arrived within T ms of
the first), read the items that still wait for the stage, run the models once over the
batch with no transaction open, then store every item's result, progress and audit event
in one transaction (audit events queued with audit.record_many: no ORM object per event),
and hand the batch on to the stages after it as one RQ job (jobs.pipeline.process_items) in
one Redis transaction with the release of the claim and the batch's metrics.

Per-item correctness inside the batch transaction: an item whose result is a failure is
counted as a failed attempt (retried after the configured interval, or ended in `error`
after the last retry) while the others complete. If storing the batch raises, it is
rolled back and each item is stored on its own, so one bad row costs only its item.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import audit
from workbench.extensions import db
from workbench.faults import pause_point
from workbench.metrics import timed
from workbench.metrics.registry import add_observation, deferred_observations
from workbench.models import ItemStatus
from workbench.models.base import utcnow
from workbench.pipeline.batch_queue import BatchQueue
from workbench.pipeline.batch_rows import ITEM_COLUMNS, ITEMS_TABLE, LOCK_COLUMNS, BatchReport, update_items
from workbench.pipeline.runner import MAX_ERROR_CHARS, PIPELINE
from workbench.pipeline.stages import (
    STAGE_ORDER,
    BatchOutcome,
    ItemSnapshot,
    get_stage,
    next_stage,
    registered_stages,
    stage_context,
    stages_after,
)
from workbench.queues import add_items_job
from workbench.settings import Settings

log = logging.getLogger(__name__)
UNSTORED_RETRY_S = 5.0


def default_worker_name() -> str:
    return f"{socket.gethostname()}.{os.getpid()}"


class BatchWorker:
    def __init__(
        self,
        app,
        stage_name: str,
        loaded: Any,
        *,
        settings: Settings,
        name: str | None = None,
        batch_size: int | None = None,
        wait_ms: int | None = None,
    ):
        self.app = app
        self.settings = settings  # the app's, taken once at start
        self.stage = get_stage(stage_name)
        if not self.stage.batched:
            raise ValueError(f"stage {stage_name!r} is not a batched stage")
        self.loaded = loaded
        self.name = name or default_worker_name()
        self.batch_size = max(1, int(batch_size or settings.classify_batch_size))
        wait = settings.classify_batch_wait_ms if wait_ms is None else wait_ms
        self.wait_s = max(0, int(wait)) / 1000
        self.ttl_s = max(3, int(settings.classify_worker_ttl_s))
        self.queue = BatchQueue(app.extensions["workbench_redis"], stage_name)
        self.ctx = stage_context(app, settings)
        self.started_at = utcnow()
        self.stopping = threading.Event()
        self._waiting_after_cache: tuple = (None, frozenset())
        self._failures = 0  # batches failed in a row (back-off)

    def info(self) -> dict[str, Any]:
        """What /healthz and operators see about this worker."""
        return {
            "stage": self.stage.name,
            "pid": os.getpid(),
            "host": socket.gethostname(),
            "started_at": self.started_at.isoformat(),
            "batch_size": self.batch_size,
            "wait_ms": round(self.wait_s * 1000),
            "text_model": getattr(self.loaded, "text_model", None),
            "classifiers": list(getattr(self.loaded, "identities", {}).values()),
        }

    # --- the loop ------------------------------------------------------------------------

    def work(self, *, burst: bool = False, max_batches: int | None = None) -> int:
        """Process batches until stopped; with `burst`, until nothing is waiting. Returns
        the number of batches run."""
        batches = 0
        with self.app.app_context():
            self.queue.register_worker(self.name, self.info(), self.ttl_s)
            beat = threading.Thread(target=self._heartbeat, name=f"{self.name}-heartbeat", daemon=True)
            beat.start()
            try:
                recovered = self.queue.recover_abandoned()
                if recovered:
                    log.warning("%s: took back %d item(s) from workers that died", self.name, len(recovered))
                while not self.stopping.is_set():
                    self.queue.promote_due()
                    item_ids = self.queue.claim(
                        self.name, self.batch_size, wait_s=self.wait_s, block_s=0.0 if burst else self._block_s()
                    )
                    if not item_ids:
                        if burst:
                            break
                        continue
                    try:
                        self.process_batch(item_ids)  # releases the claim with the hand-off
                    except Exception:
                        if burst:
                            raise
                        self._back_off()
                        continue
                    self._failures = 0
                    batches += 1
                    if max_batches is not None and batches >= max_batches:
                        break
            finally:
                self.stopping.set()
                beat.join(timeout=5)
                self.queue.unregister_worker(self.name)
        return batches

    def stop(self) -> None:
        """Finish the current batch, then return from work()."""
        self.stopping.set()

    def _back_off(self) -> None:
        """The database or Redis is away (or a bug): give the batch back, wait, try again."""
        self._failures += 1
        delay = min(30.0, 0.5 * 2**self._failures)
        log.exception("%s: a batch failed; its items go back on the queue, retrying in %.1fs", self.name, delay)
        try:
            self.queue.unclaim(self.name)
        except Exception:  # noqa: BLE001 - Redis itself is away: recovered by the sweeper later
            log.warning("%s: could not hand the batch back", self.name, exc_info=True)
        self.stopping.wait(delay)

    def _block_s(self) -> float:
        due = self.queue.next_due_in()
        return 1.0 if due is None else min(1.0, max(0.05, due))

    def _heartbeat(self) -> None:
        while not self.stopping.wait(self.ttl_s / 3):
            try:
                self.queue.heartbeat(self.name, self.info(), self.ttl_s)
            except Exception:  # noqa: BLE001 - Redis away: the main loop will notice too
                log.warning("%s: heartbeat failed", self.name, exc_info=True)

    # --- one batch ---------------------------------------------------------------------

    def process_batch(self, item_ids: Sequence[int]) -> BatchReport:
        ids = list(dict.fromkeys(int(i) for i in item_ids))
        report = BatchReport(claimed=len(ids))
        session = db.session
        # The batch's metrics go to Redis with the hand-off: one round trip per batch.
        with deferred_observations() as observations:
            self._run(session, ids, report)
        accounted = set(report.completed + report.finished + report.failed + report.skipped) | set(report.retrying)
        unstored = [item_id for item_id in ids if item_id not in accounted]
        if unstored:  # not even the failure could be recorded (database away): try again soon
            log.warning("%s: %d item(s) could not be stored; queued again", self.stage.name, len(unstored))
            report.retrying.update({item_id: UNSTORED_RETRY_S for item_id in unstored})
        self._hand_on(report, observations)
        return report

    def _run(self, session: Session, ids: list[int], report: BatchReport) -> None:
        try:
            snapshots = [self._snapshot(row) for row in self._waiting(self._rows(session, ids, lock=False))]
            session.rollback()  # no transaction stays open while the models run
            waiting = {snapshot.id for snapshot in snapshots}
            report.skipped = [item_id for item_id in ids if item_id not in waiting]
            if snapshots:
                with timed("workbench_stage_seconds", stage=self.stage.name):
                    results = self.stage.run.compute(snapshots, self.ctx, self.loaded)
                self._store_all(session, sorted(waiting), results, report)
        finally:
            session.remove()

    def _store_all(self, session: Session, item_ids: list[int], results: dict, report: BatchReport) -> None:
        try:
            self._store(session, item_ids, results, report)
            return
        except Exception:  # noqa: BLE001 - fall back to one transaction per item
            session.rollback()
            if len(item_ids) == 1:
                log.exception("%s: storing item %s failed", self.stage.name, item_ids[0])
            else:
                log.exception("%s: storing a batch of %d failed; storing one by one", self.stage.name, len(item_ids))
        for item_id in item_ids if len(item_ids) > 1 else []:
            try:
                self._store(session, [item_id], results, report)
                continue
            except Exception:  # noqa: BLE001 - one item's failure is that item's, the others are stored
                session.rollback()
                log.exception("%s: storing item %s failed", self.stage.name, item_id)
        stored = set(report.completed + report.finished + report.failed + list(report.retrying))
        for item_id in item_ids:
            if item_id not in stored:
                self._record_store_error(session, item_id, report)

    def _store(self, session: Session, item_ids: list[int], results: dict, report: BatchReport) -> None:
        """One transaction: the stage's rows, each item's progress and audit event."""
        locked = self._rows(session, item_ids, lock=True, columns=LOCK_COLUMNS)
        rows = [row for row in self._waiting(locked) if row.id in results]
        stored = {row.id for row in rows}
        # Another worker stored the others meanwhile (they had been handed off twice).
        report.skipped += [row.id for row in locked if row.id not in stored]
        if not rows:
            session.rollback()
            return
        outcomes = self.stage.run.store(session, [self._snapshot(row) for row in rows], results, self.ctx, self.loaded)
        now = utcnow()
        is_last = not stages_after(self.stage.name, self.settings)
        updates, done, events = [], BatchReport(), {}
        for row in rows:
            values = self._progress(row, outcomes[row.id], now, is_last, done, events)
            updates.append({"id": row.id, "updated_at": now, **outcomes[row.id].item_values, **values})
        # One queued event per item and state change, by action (each item's own events stay
        # in order: stage_completed before processed); sealed with the commit.
        for action, object_events in events.items():
            audit.record_many(session, PIPELINE, action, "item", object_events)
        update_items(session, updates)
        pause_point(self.stage.name, "before_commit")  # test-only crash hook (workbench/faults.py)
        session.commit()
        pause_point(self.stage.name, "after_commit")
        report.completed += done.completed
        report.finished += done.finished
        report.failed += done.failed
        report.retrying.update(done.retrying)

    def _progress(self, row, outcome: BatchOutcome, now, is_last: bool, done: BatchReport, events: dict) -> dict:
        """The item's new position (and its audit events, added to `events`: action ->
        [(item id, payload)]) after the stage's outcome."""
        if outcome.failure is not None:
            return self._failure(
                row, f"{self.stage.name} failed: {outcome.failure}", outcome.retryable, now, done, events
            )
        name = self.stage.name
        events.setdefault("item.stage_completed", []).append((row.id, {"stage": name, **outcome.summary}))
        if is_last:  # the last stage: the item is processed in the same transaction
            events.setdefault("item.processed", []).append((row.id, {"stage": name}))
            done.finished.append(row.id)
            return {"stage": name, "status": ItemStatus.PROCESSED, "error": None, "finished_at": now}
        done.completed.append(row.id)
        return {"stage": name, "status": ItemStatus.PROCESSING}

    def _failure(self, row, reason: str, retryable: bool, now, done: BatchReport, events: dict) -> dict:
        """A failed attempt, counted like the RQ job's retries (runner.record_failure)."""
        reason = reason[:MAX_ERROR_CHARS]
        attempt = row.attempts + 1
        retries = self.settings.job_retries
        final = not retryable or attempt > retries
        events.setdefault("item.failed" if final else "item.attempt_failed", []).append(
            (row.id, {"stage_completed": row.stage, "attempt": attempt, "reason": reason})
        )
        values: dict[str, Any] = {"attempts": attempt, "error": reason}
        if final:
            values.update(status=ItemStatus.ERROR, finished_at=now)
            done.failed.append(row.id)
        else:
            intervals = self.settings.retry_intervals_s or (0,)
            done.retrying[row.id] = float(intervals[min(attempt - 1, len(intervals) - 1)])
        return values

    def _record_store_error(self, session: Session, item_id: int, report: BatchReport) -> None:
        try:
            rows = self._waiting(self._rows(session, [item_id], lock=True, columns=LOCK_COLUMNS))
            if not rows:
                session.rollback()
                return
            now, events = utcnow(), {}
            values = self._failure(
                rows[0], f"{self.stage.name} failed: could not store the result", True, now, report, events
            )
            for action, object_events in events.items():
                audit.record_many(session, PIPELINE, action, "item", object_events)
            update_items(session, [{"id": item_id, "updated_at": now, **values}])
            session.commit()
        except Exception:  # noqa: BLE001 - the database is away: the sweeper finds the item later
            session.rollback()
            log.exception("%s: could not record the failure of item %s", self.stage.name, item_id)

    def _hand_on(self, report: BatchReport, observations=()) -> None:
        """After the commit, in one Redis transaction: forget what is done, schedule retries,
        queue the later stages, release the worker's claim, and the batch's metrics."""
        with self.queue.redis.pipeline(transaction=True) as pipe:
            add_items_job(pipe, report.completed)  # first: RQ's enqueue starts the MULTI itself
            self.queue.forget(report.completed + report.finished + report.failed + report.skipped, pipe)
            self.queue.retry_later(report.retrying, pipe)
            self.queue.release(self.name, pipe)
            for name, seconds, labels in observations:
                add_observation(pipe, name, seconds, labels)
            pipe.execute()

    # --- reading items -------------------------------------------------------------------

    def _rows(self, session: Session, item_ids: Sequence[int], *, lock: bool, columns=ITEM_COLUMNS) -> list:
        """The items' rows, in id order (so concurrent lockers cannot deadlock)."""
        # Core on the session's connection: plain rows, no ORM result machinery.
        statement = (
            select(*(ITEMS_TABLE.c[column.key] for column in columns))
            .where(ITEMS_TABLE.c.id.in_(list(item_ids)))
            .order_by(ITEMS_TABLE.c.id)
        )
        if lock:
            statement = statement.with_for_update(of=ITEMS_TABLE)
        return list(session.connection().execute(statement))

    def _waiting(self, rows: list) -> list:
        """The rows still waiting for this stage: active, and this stage is the next enabled
        one after the item's last stage."""
        after = self._waiting_after()  # once per batch: it reads the configured stages
        return [row for row in rows if row.status in ItemStatus.ACTIVE and row.stage in after]

    def _waiting_after(self) -> frozenset:
        """The last stages (None: none yet) after which this stage comes next."""
        settings = self.settings
        key = tuple(stage.name for stage in registered_stages(settings))
        if self._waiting_after_cache[0] != key:
            names = (None,) + STAGE_ORDER
            self._waiting_after_cache = (
                key,
                frozenset(
                    name for name in names if getattr(next_stage(name, settings), "name", None) == self.stage.name
                ),
            )
        return self._waiting_after_cache[1]

    @staticmethod
    def _snapshot(row) -> ItemSnapshot:
        """(At store time the row has no `text`: the stage computed from it already.)"""
        return ItemSnapshot(
            id=row.id,
            kind=row.kind,
            text=getattr(row, "text", None),
            blob_sha256=row.blob_sha256,
            language=row.language,
            language_source=row.language_source,
        )

"""The pipeline job: thin, takes an item id, safe to run twice."""

from __future__ import annotations

from rq import get_current_job

from workbench.extensions import db
from workbench.jobs.context import job_app_context
from workbench.pipeline.runner import record_failure, run_pipeline
from workbench.pipeline.stages import stage_context
from workbench.queues import forget_continuations
from workbench.settings import of as settings_of


def process_item(item_id: int) -> str:
    with job_app_context() as app:
        session = db.session
        try:
            return run_pipeline(session, item_id, stage_context(app, settings_of(app)))
        except Exception as exc:
            session.rollback()
            job = get_current_job()
            # RQ decrements retries_left before each retry, so 0 means this was the last try.
            final = job is None or not job.retries_left
            record_failure(session, item_id, exc, final=final)
            raise
        finally:
            session.remove()


class ItemsFailed(RuntimeError):
    """Some items of a process_items job failed; RQ retries the job (the others are done
    by then, so a retry only redoes the failed ones)."""


def process_items(item_ids: list[int]) -> dict:
    """The remaining stages for a batch of items, one after the other, each on its own
    (the classify worker hands its batches on this way). Safe to run twice."""
    with job_app_context() as app:
        session = db.session
        job = get_current_job()
        final = job is None or not job.retries_left  # RQ decrements retries_left before a retry
        results, failed = {}, []
        try:
            for item_id in item_ids:
                try:
                    results[item_id] = run_pipeline(session, item_id, stage_context(app, settings_of(app)))
                except Exception as exc:  # noqa: BLE001 - one item's failure is recorded for that item
                    session.rollback()
                    record_failure(session, item_id, exc, final=final)
                    failed.append(item_id)
        finally:
            session.remove()
        # Items this job is done with; those it will retry stay mapped to it for the sweeper.
        forget_continuations([item_id for item_id in item_ids if final or item_id not in failed])
        if failed:
            raise ItemsFailed(f"{len(failed)} of {len(item_ids)} item(s) failed: {failed[:20]}")
        return results

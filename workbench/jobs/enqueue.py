"""Putting pipeline work on the queue, only ever after the item's transaction committed."""
from __future__ import annotations

import logging

from flask import current_app
from redis.exceptions import RedisError
from rq import Retry
from rq.job import Job

from workbench.extensions import get_queue

log = logging.getLogger(__name__)
PROCESS_ITEM = "workbench.jobs.pipeline.process_item"


def job_id_for(item_id: int) -> str:
    # Deterministic: the sweeper can find the job of an item, and a resend cannot fork it.
    return f"process-item-{item_id}"


def enqueue_item(item_id: int) -> bool:
    """Queue the pipeline for an item. False when Redis is unreachable: the item is
    durable in the database, and the sweeper queues it once Redis is back."""
    config = current_app.config
    retries = config["WORKBENCH_JOB_RETRIES"]
    try:
        get_queue().enqueue(
            PROCESS_ITEM, item_id,
            job_id=job_id_for(item_id),
            retry=Retry(max=retries, interval=config["WORKBENCH_RETRY_INTERVALS"]) if retries else None,
            job_timeout=config["WORKBENCH_JOB_TIMEOUT_S"],
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
        )
        return True
    except RedisError as exc:
        log.warning("could not enqueue item %s (%s); the sweeper will retry", item_id, exc)
        return False


def job_status(item_id: int) -> str | None:
    """The RQ status of the item's job, or None when Redis has no such job."""
    job = Job.fetch(job_id_for(item_id), connection=get_queue().connection) if _exists(item_id) else None
    return job.get_status(refresh=False) if job else None


def _exists(item_id: int) -> bool:
    return bool(get_queue().connection.exists(f"rq:job:{job_id_for(item_id)}"))


def discard_job(item_id: int) -> None:
    """Forget a stale job record before queueing the item again."""
    connection = get_queue().connection
    if _exists(item_id):
        Job.fetch(job_id_for(item_id), connection=connection).delete(remove_from_queue=True)

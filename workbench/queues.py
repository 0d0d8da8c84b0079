"""Putting work on the RQ queues, only ever after the caller's transaction committed, and
reading and forgetting the job records the sweeper and erasure look at.

Jobs are named by their function's dotted path (RQ imports it in the worker), so services and
the pipeline can queue work without importing workbench.jobs, which sits above them.

Everything here returns False (logged) rather than raising when Redis is unreachable: the
caller's rows are durable, and the sweeper queues what is missing once Redis is back.
"""

from __future__ import annotations

import logging
import uuid

from redis.exceptions import RedisError
from rq import Retry
from rq.exceptions import NoSuchJobError
from rq.job import Job

from workbench.extensions import get_queue
from workbench.settings import current as current_settings

log = logging.getLogger(__name__)
PROCESS_ITEM = "workbench.jobs.pipeline.process_item"
PROCESS_ITEMS = "workbench.jobs.pipeline.process_items"
DELIVER_WEBHOOKS = "workbench.jobs.webhooks.deliver_item_webhooks"
DONE_STATES = ("finished", "failed", "canceled", "stopped")
# item id -> the process_items job that carries it (removed once the job is done with it)
CONTINUATIONS = "workbench:pipeline:continuations"


def try_enqueue(queue, function: str, *args, what: str, **job_options) -> bool:
    """queue.enqueue(function, *args, **job_options), after the caller's transaction committed.
    False (logged) when Redis is unreachable: the caller's row is durable and says how the
    work is picked up again."""
    try:
        queue.enqueue(function, *args, **job_options)
        return True
    except RedisError as exc:
        log.warning("could not enqueue %s (%s)", what, exc)
        return False


def job_id_for(item_id: int) -> str:
    # Deterministic: the sweeper can find the job of an item, and a resend cannot fork it.
    return f"process-item-{item_id}"


def enqueue_item(item_id: int) -> bool:
    """Queue the pipeline for an item. False when Redis is unreachable: the item is
    durable in the database, and the sweeper queues it once Redis is back."""
    settings = current_settings()
    retries = settings.job_retries
    try:
        get_queue().enqueue(
            PROCESS_ITEM,
            item_id,
            job_id=job_id_for(item_id),
            retry=Retry(max=retries, interval=list(settings.retry_intervals_s)) if retries else None,
            job_timeout=settings.job_timeout_s,
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
        )
        return True
    except RedisError as exc:
        log.warning("could not enqueue item %s (%s); the sweeper will retry", item_id, exc)
        return False


def enqueue_items(item_ids: list[int]) -> bool:
    """Queue the pipeline for a batch of items as ONE job (process_items): the classify
    worker hands a whole batch on to the later stages, and one RQ job per item would cost
    more than classifying it. Each item is mapped to the batch job, so job_status (the
    sweeper) still finds the job that carries it."""
    if not item_ids:
        return True
    try:
        with get_queue().connection.pipeline() as pipe:
            add_items_job(pipe, item_ids)
            pipe.execute()  # one transaction: the job and its items' mapping, or neither
        return True
    except RedisError as exc:
        log.warning("could not enqueue %d item(s) (%s); the sweeper will retry", len(item_ids), exc)
        return False


def add_items_job(pipe, item_ids: list[int]) -> None:
    """Queue enqueue_items' commands on `pipe` (a transaction the caller executes), so a
    caller with more to send (the batch worker's hand-off) makes one round trip."""
    if not item_ids:
        return
    settings = current_settings()
    retries = settings.job_retries
    job_id = f"process-items-{item_ids[0]}-{uuid.uuid4().hex[:12]}"
    get_queue().enqueue(
        PROCESS_ITEMS,
        list(item_ids),
        job_id=job_id,
        pipeline=pipe,
        retry=Retry(max=retries, interval=list(settings.retry_intervals_s)) if retries else None,
        job_timeout=settings.job_timeout_s,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
    )
    pipe.hset(CONTINUATIONS, mapping={str(item_id): job_id for item_id in item_ids})


def forget_continuations(item_ids: list[int]) -> None:
    if item_ids:
        get_queue().connection.hdel(CONTINUATIONS, *[str(item_id) for item_id in item_ids])


def _state(job_id: str) -> str | None:
    connection = get_queue().connection
    if not connection.exists(f"rq:job:{job_id}"):
        return None
    return Job.fetch(job_id, connection=connection).get_status(refresh=False)


def job_status(item_id: int) -> str | None:
    """The RQ status of the job carrying the item (its own job, or the batch job it was
    handed on in), or None when Redis has no such job. A live state wins over a dead one."""
    states = [_state(job_id_for(item_id))]
    batch_job = get_queue().connection.hget(CONTINUATIONS, str(item_id))
    if batch_job is not None:
        states.append(_state(batch_job.decode()))
    for live in ("started", "queued", "scheduled", "deferred"):
        if live in states:
            return live
    return next((state for state in states if state is not None), None)


def _exists(item_id: int) -> bool:
    return bool(get_queue().connection.exists(f"rq:job:{job_id_for(item_id)}"))


def discard_job(item_id: int) -> None:
    """Forget a stale job record before queueing the item again."""
    connection = get_queue().connection
    connection.hdel(CONTINUATIONS, str(item_id))
    if _exists(item_id):
        Job.fetch(job_id_for(item_id), connection=connection).delete(remove_from_queue=True)


def enqueue_item_webhooks(item_id: int) -> bool:
    """Call after the transaction that wrote deliveries committed. The sweeper covers failures."""
    return try_enqueue(
        get_queue(current_settings().webhook_queue),
        DELIVER_WEBHOOKS,
        item_id,
        what=f"webhooks of item {item_id}; the sweeper will",
        job_id=webhook_job_id(item_id),
        result_ttl=600,
    )


def webhook_job_id(item_id: int) -> str:
    # A fresh id each time: a delivery job that reschedules itself must not overwrite itself.
    return f"webhooks-item-{item_id}-{uuid.uuid4().hex[:8]}"


def forget_item_jobs(item_ids: list[int]) -> int:
    """Delete the finished job records of items whose content was erased or purged (a finished
    or failed job keeps its arguments, result and traceback for up to a week, and a traceback can
    quote what it worked on); returns how many. Live jobs are left alone: the worker that holds
    one would recreate them. Redis being down is logged: the records expire on their own."""
    forgotten = 0
    try:
        connection = get_queue().connection
        for item_id in item_ids:
            try:
                job = Job.fetch(job_id_for(item_id), connection=connection)
            except NoSuchJobError:
                continue
            if job.get_status(refresh=False) in DONE_STATES:
                job.delete()
                forgotten += 1
    except RedisError as exc:
        log.warning("could not forget the jobs of %d erased item(s): %s", len(item_ids), exc)
    return forgotten

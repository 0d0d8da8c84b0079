"""Forgetting the finished pipeline jobs of items whose content was erased or purged.

A finished or failed RQ job keeps its arguments, result and (for a failure) the traceback in
Redis for up to a week (enqueue.py's result and failure TTLs); a traceback can quote what the
job was working on. Live jobs are left alone: the worker that holds one would recreate them.
"""
from __future__ import annotations

import logging

from redis.exceptions import RedisError
from rq.exceptions import NoSuchJobError
from rq.job import Job

from workbench.extensions import get_queue
from workbench.jobs.enqueue import job_id_for

log = logging.getLogger(__name__)
DONE_STATES = ("finished", "failed", "canceled", "stopped")


def forget_item_jobs(item_ids: list[int]) -> int:
    """Delete the finished job records of these items; returns how many. Redis being down is
    logged, not raised: the records expire on their own."""
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

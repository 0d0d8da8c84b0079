"""The worker process: a non-forking RQ worker inside the app context.

RQ's default worker forks a child per job, which would reload models and reconnect to
the database for every item. The workbench loads them once per process instead; a
worker that dies is replaced by the supervisor, and its job is found by the sweeper.
"""
from __future__ import annotations

import logging

from rq import SimpleWorker

from workbench.extensions import get_queue, get_redis

log = logging.getLogger(__name__)


class WorkbenchWorker(SimpleWorker):
    pass


def run_worker(queue_names: list[str] | None = None, *, burst: bool = False, with_scheduler: bool = True,
               name: str | None = None) -> bool:
    queues = [get_queue(name) for name in (queue_names or [None])]
    worker = WorkbenchWorker(queues, connection=get_redis(), name=name)
    return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="INFO")

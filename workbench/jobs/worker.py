"""The worker process: a non-forking RQ worker inside the app context.

RQ's default worker forks a child per job, which would reload models and reconnect to
the database for every item. The workbench loads them once per process instead; a
worker that dies is replaced by the supervisor, and its job is found by the sweeper.
"""

from __future__ import annotations

import logging

from flask import current_app
from rq import SimpleWorker

from workbench.extensions import get_queue, get_redis
from workbench.services.banks.runtime import start_refresher
from workbench.services.operations import capabilities
from workbench.settings import current as current_settings

log = logging.getLogger(__name__)


class WorkbenchWorker(SimpleWorker):
    pass


def default_queue_names() -> list[str]:
    """The pipeline first, then hash-list imports, policy backtests, auditor exports and decision
    webhooks (run dedicated workers for those with --queue)."""
    settings = current_settings()
    return [
        settings.pipeline_queue,
        settings.import_queue,
        settings.backtest_queue,
        settings.export_queue,  # auditor exports (jobs/exports.py)
        settings.webhook_queue,
    ]  # decision webhooks: without it nothing is delivered


def run_worker(
    queue_names: list[str] | None = None, *, burst: bool = False, with_scheduler: bool = True, name: str | None = None
) -> bool:
    queues = [get_queue(name) for name in (queue_names or default_queue_names())]
    worker = WorkbenchWorker(queues, connection=get_redis(), name=name)
    for capability in capabilities.publish_for_worker(get_redis(), worker.name):
        log.warning("%s: %s", capability.missing_reason, capability.feature)
    if not burst and current_settings().pipeline_queue in {queue.name for queue in queues}:
        # Build the bank matcher now and keep it current through the change feed
        # (only pipeline workers match; a dedicated import worker needs no index).
        app = current_app._get_current_object()
        start_refresher(app, get_redis(), worker.name, current_settings().bank_feed_poll_s)
    try:
        return worker.work(burst=burst, with_scheduler=with_scheduler, logging_level="INFO")
    finally:
        capabilities.forget_worker(get_redis(), worker.name)

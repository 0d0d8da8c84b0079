"""Webhook delivery jobs: one per item, rescheduled with backoff while a delivery is retried."""
from __future__ import annotations

import uuid

from flask import current_app

from workbench.extensions import db, get_queue
from workbench.jobs.context import job_app_context
from workbench.jobs.enqueue import try_enqueue
from workbench.services.webhooks import deliver_item, settings_from_config

DELIVER = "workbench.jobs.webhooks.deliver_item_webhooks"


def deliver_item_webhooks(item_id: int) -> str:
    with job_app_context() as app:
        try:
            retry_at = deliver_item(db.session, item_id, settings_from_config(app.config))
        finally:
            db.session.remove()
        if retry_at is not None:
            # A fresh job id: this job is still running and must not be overwritten.
            get_queue(app.config["WORKBENCH_WEBHOOK_QUEUE"]).enqueue_at(
                retry_at, DELIVER, item_id, job_id=f"webhooks-item-{item_id}-{uuid.uuid4().hex[:8]}")
            return f"retry at {retry_at.isoformat()}"
        return "done"


def enqueue_item_webhooks(item_id: int) -> bool:
    """Call after the transaction that wrote deliveries committed. The sweeper covers failures."""
    return try_enqueue(get_queue(current_app.config["WORKBENCH_WEBHOOK_QUEUE"]), DELIVER, item_id,
                       what=f"webhooks of item {item_id}; the sweeper will",
                       job_id=f"webhooks-item-{item_id}-{uuid.uuid4().hex[:8]}", result_ttl=600)

"""Webhook delivery jobs: one per item, rescheduled with backoff while a delivery is retried."""

from __future__ import annotations

from workbench.extensions import db, get_queue
from workbench.jobs.context import job_app_context
from workbench.queues import DELIVER_WEBHOOKS, webhook_job_id
from workbench.services.webhooks.delivery import deliver_item, webhook_settings
from workbench.settings import of as settings_of


def deliver_item_webhooks(item_id: int) -> str:
    with job_app_context() as app:
        try:
            retry_at = deliver_item(db.session, item_id, webhook_settings(settings_of(app)))
        finally:
            db.session.remove()
        if retry_at is not None:
            get_queue(settings_of(app).webhook_queue).enqueue_at(
                retry_at, DELIVER_WEBHOOKS, item_id, job_id=webhook_job_id(item_id)
            )
            return f"retry at {retry_at.isoformat()}"
        return "done"

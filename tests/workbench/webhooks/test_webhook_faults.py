"""A platform's webhook receiver that fails, times out or hangs up, driven through the real
delivery jobs (RQ worker and scheduler): retries with backoff, then a failure visible in the
delivery log (every attempt), the audit log and /metrics; Redis losing a retry is recovered
by the sweeper's query."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from tests.support.factories import text_item
from tests.support.receiver import Receiver
from tests.workbench.webhooks.test_webhooks import queue_events, register
from workbench import settings as workbench_settings
from workbench.extensions import db, get_redis
from workbench.jobs.worker import run_worker
from workbench.models import AuditEvent, DeliveryStatus, WebhookAttempt, WebhookDelivery
from workbench.models.base import utcnow
from workbench.queues import enqueue_item_webhooks
from workbench.services.webhooks.delivery import DELIVERY_HEADER, due_items

EXPECTED_ERROR = {"500": "http_500", "slow": "timeout", "reset": "connection_closed"}


@pytest.fixture
def fast_webhooks(app):
    workbench_settings.update(
        app, WORKBENCH_WEBHOOK_MAX_ATTEMPTS=3, WORKBENCH_WEBHOOK_BACKOFF_S=0, WORKBENCH_WEBHOOK_TIMEOUT_S=0.5
    )
    return app


def drive_deliveries(app, rounds: int = 10) -> None:
    """Burst workers with the scheduler: each round runs the due jobs, including the retry
    each failed attempt scheduled for itself."""
    with app.app_context():
        for _ in range(rounds):
            run_worker([workbench_settings.of(app).webhook_queue], burst=True, with_scheduler=True)
            pending = db.session.scalar(
                select(func.count())
                .select_from(WebhookDelivery)
                .where(WebhookDelivery.status == DeliveryStatus.PENDING)
            )
            db.session.rollback()
            if not pending:
                return


def attempt_log(app) -> list[tuple[int | None, str | None]]:
    with app.app_context():
        rows = db.session.execute(
            select(WebhookAttempt.status_code, WebhookAttempt.error).order_by(WebhookAttempt.id)
        ).all()
        db.session.rollback()
    return [tuple(row) for row in rows]


@pytest.mark.parametrize("failure", ["500", "slow", "reset"])
def test_retries_through_the_worker_then_a_visible_failure(fast_webhooks, api, auth, client, failure):
    app = fast_webhooks
    item_id = api.post_json("/items", text_item()).json["id"]
    with Receiver() as receiver:
        receiver.slow_s = 1.0
        register(api, receiver.url)
        receiver.script = [failure] * 3
        queue_events(app, item_id, "decision:1")
        with app.app_context():
            assert enqueue_item_webhooks(item_id)
        drive_deliveries(app)
        assert len(receiver.requests) == 3
        ids = {request["headers"][DELIVERY_HEADER] for request in receiver.requests}
        assert len(ids) == 1  # every retry is the same delivery: the receiver can deduplicate
    log = attempt_log(app)
    assert len(log) == 3
    assert all(error == EXPECTED_ERROR[failure] for _, error in log)
    assert [code for code, _ in log] == ([500] * 3 if failure == "500" else [None] * 3)
    with app.app_context():
        delivery = db.session.scalars(select(WebhookDelivery)).one()
        failed_events = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "webhook.failed")
        )
    assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
    assert failed_events == 1

    auth.login("admin")
    page = client.get(f"/admin/clients/{delivery.client_id}").get_data(as_text=True)
    assert page.count(EXPECTED_ERROR[failure]) >= 3  # each attempt in the delivery log, and the last error
    assert ("· 500 ·" if failure == "500" else "· no answer ·") in page
    metrics = client.get("/metrics").get_data(as_text=True)
    assert "workbench_webhook_failures_total 1" in metrics
    assert 'workbench_webhook_attempts_total{outcome="error"} 3' in metrics


def test_a_timeout_then_success_is_delivered_once_more_with_the_same_id(fast_webhooks, api):
    app = fast_webhooks
    item_id = api.post_json("/items", text_item()).json["id"]
    with Receiver() as receiver:
        receiver.slow_s = 1.0
        register(api, receiver.url)
        receiver.script = ["slow", "500", "ok"]
        queue_events(app, item_id, "decision:1")
        with app.app_context():
            assert enqueue_item_webhooks(item_id)
        drive_deliveries(app)
        bodies = [json.loads(request["body"]) for request in receiver.requests]
        ids = [request["headers"][DELIVERY_HEADER] for request in receiver.requests]
    assert [body["id"] for body in bodies] == ["decision:1"] * 3 and len(set(ids)) == 1
    log = attempt_log(app)
    assert [code for code, _ in log] == [None, 500, 200]
    assert log[0][1] == "timeout" and log[1][1] == "http_500" and log[2][1] is None
    with app.app_context():
        delivery = db.session.scalars(select(WebhookDelivery)).one()
    assert (delivery.status, delivery.attempts, delivery.last_error) == (DeliveryStatus.DELIVERED, 3, None)


def test_a_retry_lost_with_redis_is_found_by_the_sweeper_query(fast_webhooks, api):
    app = fast_webhooks
    workbench_settings.update(app, WORKBENCH_WEBHOOK_BACKOFF_S=60)  # the retry waits in RQ's scheduled registry
    item_id = api.post_json("/items", text_item()).json["id"]
    with Receiver() as receiver:
        register(api, receiver.url)
        receiver.script = ["500"]
        queue_events(app, item_id, "decision:1")
        with app.app_context():
            assert enqueue_item_webhooks(item_id)
            run_worker([workbench_settings.of(app).webhook_queue], burst=True, with_scheduler=False)
            get_redis().flushdb()  # the scheduled retry is gone with Redis
            assert due_items(db.session) == []  # not due yet
            db.session.execute(update(WebhookDelivery).values(next_attempt_at=utcnow() - timedelta(seconds=1)))
            db.session.commit()  # the backoff has passed
            assert due_items(db.session) == [item_id]
            for due in due_items(db.session):  # what the sweeper loop does
                enqueue_item_webhooks(due)
        drive_deliveries(app)
    assert len(receiver.requests) == 2
    with app.app_context():
        delivery = db.session.scalars(select(WebhookDelivery)).one()
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.DELIVERED, 2)
        assert due_items(db.session) == []

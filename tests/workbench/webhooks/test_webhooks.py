"""Decision webhooks: registration, signed delivery, order per item, retries, failures, replay."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.auth import csrf_token_from
from tests.support.factories import text_item
from tests.support.receiver import Receiver
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import AuditEvent, DeliveryStatus, Item, WebhookDelivery
from workbench.models.base import utcnow
from workbench.services.webhooks.delivery import (
    SIGNATURE_HEADER,
    deliver_item,
    queue_delivery,
    signature_valid,
    webhook_settings,
)

LOOPBACK = ("127.0.0.1/32",)  # where tests/support/receiver.py listens
FAST_VALUES = {
    "WORKBENCH_WEBHOOK_MAX_ATTEMPTS": 3,
    "WORKBENCH_WEBHOOK_BACKOFF_S": 0,
    "WORKBENCH_WEBHOOK_TIMEOUT_S": 0.5,
    "WORKBENCH_OUTBOUND_ALLOW_CIDRS": ",".join(LOOPBACK),
}
FAST = webhook_settings(workbench_settings.defaults().with_values(FAST_VALUES))


def register(api, url: str) -> str:
    response = api.client.put("/api/v1/webhook", json={"url": url}, headers=api.headers)
    assert response.status_code == 200, response.json
    return response.json["secret"]


def queue_events(app, item_id: int, *keys: str) -> None:
    with app.app_context():
        item = db.session.get(Item, item_id)
        for key in keys:
            queue_delivery(db.session, item, "decision.created", key, {"decision": key})
        db.session.commit()


def deliver(app, item_id: int, settings=FAST, rounds: int = 10):
    with app.app_context():
        for _ in range(rounds):
            retry_at = deliver_item(db.session, item_id, settings)
            if retry_at is None:
                return None
        return retry_at


def deliveries(app) -> list[WebhookDelivery]:
    with app.app_context():
        rows = db.session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)).all()
        db.session.expunge_all()
        return rows


def test_registration(api):
    assert api.get("/webhook").json == {"url": None, "has_secret": False}
    secret = register(api, "https://127.0.0.1:8443/hook")  # loopback: allowed in the tests' config
    assert len(secret) == 64
    assert api.get("/webhook").json == {"url": "https://127.0.0.1:8443/hook", "has_secret": True}
    again = api.client.put("/api/v1/webhook", json={"url": "https://127.0.0.1:8443/v2"}, headers=api.headers)
    assert "secret" not in again.json  # the secret is shown once only
    for bad in ("ftp://x/y", "not a url", "http://", "http://user:pw@127.0.0.1/", 5):
        response = api.client.put("/api/v1/webhook", json={"url": bad}, headers=api.headers)
        assert response.status_code == 400 and response.json["error"]["code"] in ("invalid_url", "invalid_type")


def test_signed_delivery_through_the_job(app, api):
    item_id = api.post_json("/items", text_item()).json["id"]
    with Receiver() as receiver:
        secret = register(api, receiver.url)
        queue_events(app, item_id, "decision:1")
        with app.app_context():
            from workbench.jobs.worker import run_worker
            from workbench.queues import enqueue_item_webhooks

            assert enqueue_item_webhooks(item_id)
            run_worker(["webhooks"], burst=True, with_scheduler=False)
    [request] = receiver.requests
    assert signature_valid(secret, request["headers"][SIGNATURE_HEADER], request["body"])
    assert not signature_valid("wrong-secret", request["headers"][SIGNATURE_HEADER], request["body"])
    assert not signature_valid(secret, request["headers"][SIGNATURE_HEADER], request["body"] + b" ")
    body = json.loads(request["body"])
    assert (body["event"], body["id"], body["item"]["id"], body["data"]) == (
        "decision.created",
        "decision:1",
        item_id,
        {"decision": "decision:1"},
    )
    [delivery] = deliveries(app)
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 1
    with app.app_context():
        assert db.session.scalar(select(AuditEvent.action).where(AuditEvent.action == "webhook.delivered"))


def test_the_same_event_is_queued_once(app, api):
    item_id = api.post_json("/items", text_item()).json["id"]
    register(api, "http://127.0.0.1:9/hook")
    queue_events(app, item_id, "decision:7", "decision:7")
    assert len(deliveries(app)) == 1


def test_in_order_per_item_despite_a_failure(app, api):
    item_id = api.post_json("/items", text_item()).json["id"]
    with Receiver() as receiver:
        register(api, receiver.url)
        receiver.script = ["500"]  # the first attempt of the first delivery fails
        queue_events(app, item_id, "decision:1", "decision:2")
        assert deliver(app, item_id) is None
    sent = [json.loads(r["body"])["id"] for r in receiver.requests]
    assert sent == ["decision:1", "decision:1", "decision:2"]  # 2 never overtakes 1
    assert [d.attempts for d in deliveries(app)] == [2, 1]


def test_a_held_back_delivery_waits_for_its_backoff(app, api):
    item_id = api.post_json("/items", text_item()).json["id"]
    with Receiver() as receiver:
        register(api, receiver.url)
        receiver.script = ["500"]
        queue_events(app, item_id, "decision:1", "decision:2")
        slow = webhook_settings(
            workbench_settings.defaults().with_values({**FAST_VALUES, "WORKBENCH_WEBHOOK_BACKOFF_S": 60})
        )
        retry_at = deliver(app, item_id, slow)
        assert retry_at is not None and retry_at > utcnow() + timedelta(seconds=50)
    assert len(receiver.requests) == 1  # decision 2 is held back behind the retry


@pytest.mark.parametrize("failure", ["500", "slow", "refused"])
def test_failures_retry_then_show_as_failed_and_replay_works(app, api, auth, client, failure):
    item_id = api.post_json("/items", text_item()).json["id"]
    with Receiver() as receiver:
        receiver.slow_s = 1.5
        if failure == "refused":
            with socket.socket() as sock:
                sock.bind(("127.0.0.1", 0))
                port = sock.getsockname()[1]
            register(api, f"http://127.0.0.1:{port}/hook")
        else:
            register(api, receiver.url)
            receiver.script = [failure] * 3
        queue_events(app, item_id, "decision:1")
        assert deliver(app, item_id) is None
        [delivery] = deliveries(app)
        assert (delivery.status, delivery.attempts) == (DeliveryStatus.FAILED, 3)
        expected_error = {"500": "http_500", "slow": "timeout", "refused": "connection_refused"}[failure]
        assert delivery.last_error == expected_error

        auth.login("admin")
        page = client.get(f"/admin/clients/{delivery.client_id}").get_data(as_text=True)
        assert "failed" in page and expected_error in page
        token = csrf_token_from(page)
        assert client.post(f"/admin/clients/deliveries/{delivery.id}/replay").status_code == 400  # no CSRF
        if failure == "refused":
            client.post(f"/admin/clients/{delivery.client_id}", data={"url": receiver.url, "csrf_token": token})
        response = client.post(f"/admin/clients/deliveries/{delivery.id}/replay", data={"csrf_token": token})
        assert response.status_code == 302
        assert deliver(app, item_id) is None
    assert deliveries(app)[0].status == DeliveryStatus.DELIVERED


def test_admin_pages_need_the_permission(app, api, auth, client):
    auth.login("moderator")
    assert client.get("/admin/clients/").status_code == 403

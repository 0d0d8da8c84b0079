"""An automated decision from the pipeline reaches the platform's webhook, signed."""

from __future__ import annotations

import json

from sqlalchemy import select

from tests.support.factories import image_bytes
from tests.support.policies import known_image
from tests.support.receiver import Receiver
from workbench.extensions import db
from workbench.jobs.worker import run_worker as drain
from workbench.models import Decision, DeliveryStatus, WebhookDelivery
from workbench.services.webhooks.delivery import SIGNATURE_HEADER, signature_valid


def test_automated_decision_is_delivered(app, api, run_worker):
    image = image_bytes("PNG", color=(250, 1, 1))
    known_image(app, image, "csam")  # a known-bad file: the default packs act on it
    with Receiver() as receiver:
        secret = api.client.put("/api/v1/webhook", json={"url": receiver.url}, headers=api.headers).json["secret"]
        item_id = api.post_image(image, external_id="bad", author_id="u", country="US").json["id"]
        run_worker()
        with app.app_context():
            decisions = [
                (d.id, d.outcome, d.automated)
                for d in db.session.scalars(select(Decision).where(Decision.item_id == item_id))
            ]
            assert decisions and all(automated for _, _, automated in decisions)
            deliveries = db.session.scalars(select(WebhookDelivery)).all()
            assert [d.event_key for d in deliveries] == [f"decision:{d_id}" for d_id, _, _ in decisions]
            # The job was queued by the commit that wrote the decision; a worker sends it.
            drain(["webhooks"], burst=True, with_scheduler=False)
            statuses = [d.status for d in db.session.scalars(select(WebhookDelivery))]
    assert statuses == [DeliveryStatus.DELIVERED] * len(decisions)
    request = receiver.requests[0]
    assert signature_valid(secret, request["headers"][SIGNATURE_HEADER], request["body"])
    body = json.loads(request["body"])
    assert body["item"] == {"id": item_id, "external_id": "bad"}
    assert body["data"]["automated"] is True and body["data"]["rule"]["rule_id"]
    assert body["data"]["outcome"] == decisions[0][1]

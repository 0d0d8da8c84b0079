"""The client's decision-webhook registration and its delivery log."""

from __future__ import annotations

from flask import g, request
from sqlalchemy import select

from workbench.api.auth import require_api_client
from workbench.api.blueprint import bp
from workbench.api.errors import ApiError
from workbench.api.request_body import json_object
from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import DeliveryStatus, WebhookDelivery
from workbench.models.base import iso
from workbench.services.validation import reject_unknown_fields
from workbench.services.webhooks.delivery import InvalidWebhookUrl, WebhookUrlNotAllowed, rotate_secret, set_webhook
from workbench.services.webhooks.outbound import public_error
from workbench.settings import current as current_settings


def _webhook_document(secret: str | None = None) -> dict:
    client = g.api_client
    document = {"url": client.webhook_url, "has_secret": bool(client.webhook_secret)}
    if secret:
        document["secret"] = secret  # shown once
    return document


@bp.get("/webhook")
@require_api_client("webhooks")
def get_webhook():
    return _webhook_document()


@bp.put("/webhook")
@require_api_client("webhooks")
def put_webhook():
    data = json_object()
    reject_unknown_fields(data, {"url"})
    url = data.get("url")
    if url is not None and not isinstance(url, str):
        raise ApiError(400, "invalid_type", "'url' must be a string or null", "url")
    try:
        secret = set_webhook(
            db.session,
            g.api_client,
            url or None,
            Actor.api_client(g.api_client.id),
            allow_cidrs=current_settings().outbound_allow_cidrs,
        )
    except WebhookUrlNotAllowed as exc:
        raise ApiError(422, "webhook_url_not_allowed", str(exc), "url") from exc
    except InvalidWebhookUrl as exc:
        raise ApiError(400, "invalid_url", str(exc), "url") from exc
    return _webhook_document(secret)


@bp.post("/webhook/secret")
@require_api_client("webhooks")
def rotate_webhook_secret():
    return _webhook_document(rotate_secret(db.session, g.api_client, Actor.api_client(g.api_client.id)))


@bp.get("/webhook/deliveries")
@require_api_client("webhooks")
def list_deliveries():
    status = request.args.get("status")
    if status and status not in (DeliveryStatus.PENDING, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
        raise ApiError(400, "invalid_status", "status must be pending, delivered or failed", "status")
    query = select(WebhookDelivery).where(WebhookDelivery.client_id == g.api_client.id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    deliveries = db.session.scalars(query.order_by(WebhookDelivery.id.desc()).limit(100)).all()
    return {
        "deliveries": [
            {
                "id": d.id,
                "item_id": d.item_id,
                "event": d.event_type,
                "event_id": d.event_key,
                "status": d.status,
                "attempts": d.attempts,
                "last_error": public_error(d.last_error),
                "created_at": iso(d.created_at),
                "delivered_at": iso(d.delivered_at),
                "next_attempt_at": iso(d.next_attempt_at),
            }
            for d in deliveries
        ]
    }

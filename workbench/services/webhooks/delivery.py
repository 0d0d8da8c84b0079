"""Decision webhooks: signing, the outbox, and in-order delivery with backoff.

Signature (documented in docs/webhooks.md): header
`X-Workbench-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>." + body)>`.
Receivers recompute it over the raw body and reject old timestamps (replays).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import socket
import ssl
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.metrics import inc
from workbench.models import ApiClient, DeliveryStatus, Item, WebhookAttempt, WebhookDelivery
from workbench.models.base import utcnow
from workbench.queues import enqueue_item_webhooks
from workbench.services.webhooks import outbound
from workbench.settings import Settings

SIGNATURE_HEADER = "X-Workbench-Signature"
DELIVERY_HEADER = "X-Workbench-Delivery"
WEBHOOKS = Actor.system("webhooks")


class InvalidWebhookUrl(ValueError):
    """Not a URL we accept (scheme, credentials, host, length)."""


class WebhookUrlNotAllowed(InvalidWebhookUrl):
    """The host does not resolve, or resolves to a non-public address (the SSRF guard)."""


NOT_ALLOWED_MESSAGE = (
    "the webhook URL's host must resolve, and only to public internet addresses (not loopback, "
    "private, link-local or other reserved ranges); for a receiver on a private network the "
    "operator can allow its range with WORKBENCH_OUTBOUND_ALLOW_CIDRS"
)


BACKOFF_MAX_S = 3600.0  # the doubling retry wait stops growing at an hour


@dataclass(frozen=True)
class WebhookSettings:
    """Delivery's view of the settings: build it with `webhook_settings` (defaults live in
    workbench/settings/fields.py)."""

    max_attempts: int
    backoff_base_s: float
    backoff_max_s: float
    timeout_s: float
    allow_cidrs: tuple[str, ...]  # non-public ranges the operator allows (WORKBENCH_OUTBOUND_ALLOW_CIDRS)


@dataclass(frozen=True)
class HttpResult:
    status_code: int | None
    error: str | None
    duration_ms: int

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


def sign(secret: str, timestamp: int, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_valid(secret: str, header: str, body: bytes, *, tolerance_s: int = 300, now: float | None = None) -> bool:
    """What a receiver does; used by the tests and shown in the docs."""
    try:
        parts = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(parts["t"])
    except (KeyError, ValueError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance_s:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), header)


def check_webhook_url(url: str, allow_cidrs: Iterable[str] = (), resolver=socket.getaddrinfo) -> str:
    """The URL, if the outbound guard accepts it now; delivery checks it again at every attempt."""
    try:
        outbound.check_url(url, allow_cidrs=allow_cidrs, resolver=resolver)
    except outbound.OutboundRefused as exc:
        if exc.code == "invalid_url":
            raise InvalidWebhookUrl(
                f"the webhook URL must be an absolute http(s) URL of at most "
                f"{outbound.MAX_URL_LENGTH} characters, without credentials: {exc}"
            ) from exc
        raise WebhookUrlNotAllowed(NOT_ALLOWED_MESSAGE) from exc  # the same answer for both: no DNS oracle
    return url


def set_webhook(
    session: Session,
    client: ApiClient,
    url: str | None,
    actor: Actor,
    *,
    allow_cidrs: Iterable[str] = (),
    resolver=socket.getaddrinfo,
) -> str | None:
    """Register (or remove, with None) the client's URL; returns a new secret when one was created.

    Raises InvalidWebhookUrl / WebhookUrlNotAllowed before anything is changed."""
    new_secret = None
    client.webhook_url = check_webhook_url(url, allow_cidrs, resolver) if url else None
    if url and not client.webhook_secret:
        new_secret = client.webhook_secret = secrets.token_hex(32)
    audit.record(session, actor, "api_client.webhook_set", "api_client", client.id, registered=bool(url))
    session.commit()
    return new_secret


def rotate_secret(session: Session, client: ApiClient, actor: Actor) -> str:
    client.webhook_secret = secrets.token_hex(32)
    audit.record(session, actor, "api_client.webhook_secret_rotated", "api_client", client.id)
    session.commit()
    return client.webhook_secret


def queue_delivery(session: Session, item: Item, event_type: str, event_key: str, data: dict) -> WebhookDelivery | None:
    """Write the notification in the caller's transaction (outbox). None if no URL is set."""
    client = session.get(ApiClient, item.client_id)
    if client is None or not client.webhook_url:
        return None
    existing = session.scalar(
        select(WebhookDelivery).where(WebhookDelivery.client_id == client.id, WebhookDelivery.event_key == event_key)
    )
    if existing is not None:
        return existing  # the same event is notified once, however often the caller runs
    body = json.dumps(
        {
            "event": event_type,
            "id": event_key,
            "created_at": utcnow().isoformat(),
            "item": {"id": item.id, "external_id": item.external_id},
            "data": data,
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=str,
    )
    delivery = WebhookDelivery(
        client_id=client.id, item_id=item.id, event_type=event_type, event_key=event_key, body=body
    )
    session.add(delivery)
    _session_of(session).info.setdefault(_TO_SEND, set()).add(item.id)
    return delivery


def decision_data(decision) -> dict:
    """What the platform is told about a decision: the outcome and the statement of reasons."""
    return {
        "decision_id": decision.id,
        "automated": decision.automated,
        "outcome": decision.outcome,
        "visibility": decision.visibility,
        "territorial_scope": decision.territorial_scope,
        "rule": {
            "jurisdiction": decision.rule_jurisdiction,
            "pack_version": decision.rule_pack_version,
            "rule_id": decision.rule_id,
        },
        "statement_of_reasons": decision.statement_of_reasons,
        "decided_at": decision.decided_at.isoformat() if decision.decided_at else None,
    }


def notify_decision(session: Session, item: Item, decision, event_type: str = "decision.created"):
    """Queue the decision's webhook in the decision's own transaction."""
    return queue_delivery(session, item, event_type, f"decision:{decision.id}", decision_data(decision))


_TO_SEND = "workbench_webhook_items"


def _session_of(session):
    from sqlalchemy.orm import scoped_session

    return session() if isinstance(session, scoped_session) else session


@event.listens_for(Session, "after_commit")
def _send_after_commit(session: Session) -> None:
    # Jobs go to Redis only once the deliveries are committed (never for a rolled-back one).
    items = session.info.pop(_TO_SEND, None)
    if items:
        for item_id in sorted(items):
            enqueue_item_webhooks(item_id)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction) -> None:
    session.info.pop(_TO_SEND, None)


def backoff(attempts: int, settings: WebhookSettings) -> timedelta:
    return timedelta(seconds=min(settings.backoff_max_s, settings.backoff_base_s * 2 ** max(0, attempts - 1)))


def _claim_next(session: Session, item_id: int, now: datetime, settings: WebhookSettings):
    """In a short transaction: the item's first pending delivery, claimed if it is due.

    The claim pushes `next_attempt_at` past the request's timeout, so another worker
    neither sends it too nor overtakes it with a later delivery of the same item. No
    transaction stays open during the HTTP call (SQLite would block every writer).
    """
    delivery = session.scalar(
        select(WebhookDelivery)
        .where(WebhookDelivery.item_id == item_id, WebhookDelivery.status == DeliveryStatus.PENDING)
        .order_by(WebhookDelivery.id)
        .limit(1)
        .with_for_update()
    )
    if delivery is None or delivery.next_attempt_at > now:
        session.rollback()
        return None, (delivery.next_attempt_at if delivery else None)
    delivery.next_attempt_at = now + timedelta(seconds=settings.timeout_s + 30)
    client = session.get(ApiClient, delivery.client_id)
    claimed = (delivery.id, delivery.body.encode("utf-8"), client.webhook_url, client.webhook_secret)
    session.commit()
    return claimed, None


def _send(claimed, settings: WebhookSettings, resolver, tls: ssl.SSLContext | None) -> HttpResult:
    """One attempt. The URL is checked again now (it may have been stored before a rule changed
    or its DNS answer may have changed) and the request goes to the address that was checked."""
    delivery_id, body, url, secret = claimed
    if not url:
        return HttpResult(None, "no_url", 0)
    headers = {
        "Content-Type": "application/json",
        DELIVERY_HEADER: str(delivery_id),
        SIGNATURE_HEADER: sign(secret, int(time.time()), body),
    }
    started = time.perf_counter()
    result = outbound.post(
        url, body, headers, timeout_s=settings.timeout_s, allow_cidrs=settings.allow_cidrs, resolver=resolver, tls=tls
    )
    return HttpResult(result.status_code, result.error, int((time.perf_counter() - started) * 1000))


def _record(session: Session, delivery_id: int, result: HttpResult, settings: WebhookSettings) -> datetime | None:
    delivery = session.get(WebhookDelivery, delivery_id, with_for_update=True)
    delivery.attempts += 1
    inc("workbench_webhook_attempts_total", outcome="ok" if result.ok else "error")
    session.add(
        WebhookAttempt(
            delivery_id=delivery.id, status_code=result.status_code, error=result.error, duration_ms=result.duration_ms
        )
    )
    retry_at = None
    if result.ok:
        delivery.status, delivery.delivered_at, delivery.last_error = DeliveryStatus.DELIVERED, utcnow(), None
        audit.record(
            session,
            WEBHOOKS,
            "webhook.delivered",
            "webhook_delivery",
            delivery.id,
            attempts=delivery.attempts,
            event=delivery.event_key,
        )
    elif delivery.attempts >= settings.max_attempts:
        delivery.status, delivery.last_error = DeliveryStatus.FAILED, result.error
        inc("workbench_webhook_failures_total")
        audit.record(
            session,
            WEBHOOKS,
            "webhook.failed",
            "webhook_delivery",
            delivery.id,
            attempts=delivery.attempts,
            event=delivery.event_key,
            error=result.error,
        )
    else:
        delivery.last_error = result.error
        delivery.next_attempt_at = retry_at = utcnow() + backoff(delivery.attempts, settings)
    session.commit()
    return retry_at


def deliver_item(
    session: Session,
    item_id: int,
    settings: WebhookSettings,
    now: datetime | None = None,
    *,
    resolver=socket.getaddrinfo,
    tls: ssl.SSLContext | None = None,
) -> datetime | None:
    """Send the item's pending deliveries in order. Returns when to try again, or None when done.

    A delivery still being retried holds back the later ones of the same item, so a
    receiver never sees decision 2 before decision 1. One that exhausts its retries is
    marked failed (visible, replayable) and no longer holds the others back. `resolver`
    and `tls` (trusted CAs) are the outbound guard's; tests pass their own.
    """
    while True:
        claimed, wait_until = _claim_next(session, item_id, now or utcnow(), settings)
        if claimed is None:
            return wait_until
        retry_at = _record(session, claimed[0], _send(claimed, settings, resolver, tls), settings)
        if retry_at is not None:
            return retry_at
        now = None


def replay(session: Session, delivery_id: int, actor: Actor) -> WebhookDelivery:
    """Send a delivery again (failed or delivered), from the admin UI."""
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise LookupError(f"no webhook delivery {delivery_id}")
    delivery.status, delivery.attempts, delivery.next_attempt_at = DeliveryStatus.PENDING, 0, utcnow()
    audit.record(session, actor, "webhook.replayed", "webhook_delivery", delivery.id, event=delivery.event_key)
    session.commit()
    return delivery


def due_items(session: Session, now: datetime | None = None, limit: int = 500) -> list[int]:
    """Items with a delivery whose attempt is due (the sweeper queues them)."""
    rows = session.scalars(
        select(WebhookDelivery.item_id)
        .where(WebhookDelivery.status == DeliveryStatus.PENDING, WebhookDelivery.next_attempt_at <= (now or utcnow()))
        .distinct()
        .limit(limit)
    ).all()
    session.rollback()
    return list(rows)


def webhook_settings(settings: Settings) -> WebhookSettings:
    return WebhookSettings(
        max_attempts=settings.webhook_max_attempts,
        backoff_base_s=settings.webhook_backoff_s,
        backoff_max_s=BACKOFF_MAX_S,
        timeout_s=settings.webhook_timeout_s,
        allow_cidrs=settings.outbound_allow_cidrs,  # validated and normalised at start-up
    )

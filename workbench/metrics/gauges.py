"""Gauges read from the source of truth at scrape time."""

from __future__ import annotations

from dataclasses import dataclass, field

from redis.exceptions import RedisError
from sqlalchemy import func, select

from workbench.models import DeliveryStatus, Item, WebhookDelivery
from workbench.models.base import utcnow


@dataclass
class Gauge:
    name: str
    help: str
    samples: list[tuple[str, float]] = field(default_factory=list)


GAUGE_SOURCES = []  # functions (session, redis) -> list[Gauge]; features add theirs


def gauge_source(function):
    GAUGE_SOURCES.append(function)
    return function


@gauge_source
def pipeline_gauges(session, redis) -> list[Gauge]:
    items = Gauge("workbench_items", "Items by pipeline status.")
    for status, count in session.execute(select(Item.status, func.count()).group_by(Item.status)).all():
        items.samples.append((f'status="{status}"', count))
    oldest = Gauge("workbench_pipeline_oldest_active_seconds", "Age of the oldest item not yet final.")
    first = session.scalar(select(func.min(Item.created_at)).where(Item.status.in_(("received", "processing"))))
    oldest.samples.append(("", (utcnow() - first).total_seconds() if first is not None else 0))
    return [items, oldest]


@gauge_source
def queue_gauges(session, redis) -> list[Gauge]:
    gauge = Gauge("workbench_rq_queue_length", "Jobs waiting in each RQ queue.")
    try:
        for key in sorted(redis.smembers("rq:queues")):
            name = key.decode().removeprefix("rq:queue:")
            gauge.samples.append((f'queue="{name}"', redis.llen(key)))
    except RedisError:
        pass
    return [gauge]


@gauge_source
def webhook_gauges(session, redis) -> list[Gauge]:
    gauge = Gauge("workbench_webhook_deliveries", "Webhook deliveries by status.")
    counts = dict(session.execute(select(WebhookDelivery.status, func.count()).group_by(WebhookDelivery.status)).all())
    for status in (DeliveryStatus.PENDING, DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
        gauge.samples.append((f'status="{status}"', counts.get(status, 0)))
    return [gauge]


def collect_gauges(session, redis) -> list[Gauge]:
    gauges: list[Gauge] = []
    for source in GAUGE_SOURCES:
        gauges.extend(source(session, redis))
    session.rollback()
    return gauges

"""Appending audit events inside the caller's transaction, on a hash chain.

`record` only queues the event on the session. Just before the transaction commits, the
events are sealed: the chain head row is locked (FOR UPDATE on PostgreSQL; SQLite's
BEGIN IMMEDIATE already serialises writers), each event gets the next sequence number,
the previous hash and its own hash, and they are inserted. Taking the lock last keeps it
short and means it is always the last lock a transaction takes, so it cannot deadlock.
A rollback drops the queued events with the change they described.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import UTC
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session

from workbench.audit.actor import Actor
from workbench.audit.verifier import EVENT_FIELDS, chain_hash
from workbench.models.audit import AuditEvent
from workbench.models.base import utcnow

# Raw personal data never goes into the log: these keys are refused outright.
FORBIDDEN_PAYLOAD_KEYS = frozenset({"author_id", "email", "name", "text", "password", "ip", "contact"})
_PENDING = "workbench_pending_audit_events"


class PersonalDataInAuditPayload(ValueError):
    pass


def canonical_json(payload: dict[str, Any]) -> str:
    """The one serialisation that is stored and hashed."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def timestamp_text(value) -> str:
    """The exact timestamp text that is hashed (microseconds, UTC, 'Z')."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(session: Session, actor: Actor, action: str, object_type: str, object_id: Any, **payload: Any) -> AuditEvent:
    """Queue an audit event; it is written when `session` commits, or dropped on rollback."""
    leaked = FORBIDDEN_PAYLOAD_KEYS.intersection(payload)
    if leaked:
        raise PersonalDataInAuditPayload(f"audit payload must not contain {sorted(leaked)}")
    audit_event = AuditEvent(
        occurred_at=utcnow(),
        actor_type=actor.type,
        actor_id=actor.id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        payload=canonical_json(payload),
    )
    if isinstance(session, scoped_session):
        session = session()
    if not session.in_transaction():
        session.begin()  # so that a rollback, even before any SQL ran, drops the event
    session.info.setdefault(_PENDING, []).append(audit_event)
    return audit_event


class QueuedEvent:
    """A queued event without an ORM object (record_many): the fields _seal reads and sets."""

    __slots__ = (
        "occurred_at",
        "actor_type",
        "actor_id",
        "action",
        "object_type",
        "object_id",
        "payload",
        "id",
        "prev_hash",
        "event_hash",
    )

    def __init__(
        self, occurred_at, actor_type: str, actor_id: str, action: str, object_type: str, object_id: str, payload: str
    ):
        self.occurred_at, self.actor_type, self.actor_id = occurred_at, actor_type, actor_id
        self.action, self.object_type, self.object_id, self.payload = action, object_type, object_id, payload
        self.id = self.prev_hash = self.event_hash = None


def record_many(
    session: Session, actor: Actor, action: str, object_type: str, events: Iterable[tuple[Any, dict[str, Any]]]
) -> list[QueuedEvent]:
    """Queue one event per (object_id, payload), as record() would queue each of them (same
    fields, canonical payload, chain and seal), without building an ORM object per event:
    for a batch worker that records an event per item in one transaction."""
    if isinstance(session, scoped_session):
        session = session()
    now = utcnow()
    actor_type, actor_id = actor.type, actor.id
    queued = []
    for object_id, payload in events:
        leaked = FORBIDDEN_PAYLOAD_KEYS.intersection(payload)
        if leaked:
            raise PersonalDataInAuditPayload(f"audit payload must not contain {sorted(leaked)}")
        queued.append(
            QueuedEvent(now, actor_type, actor_id, action, object_type, str(object_id), canonical_json(payload))
        )
    if not queued:
        return queued
    if not session.in_transaction():
        session.begin()  # so that a rollback, even before any SQL ran, drops the events
    session.info.setdefault(_PENDING, []).extend(queued)
    return queued


def event_fields(audit_event: AuditEvent) -> dict:
    """The hashed fields of an event, as the verifier reads them."""
    return {
        "id": audit_event.id,
        "occurred_at": timestamp_text(audit_event.occurred_at),
        "actor_type": audit_event.actor_type,
        "actor_id": audit_event.actor_id,
        "action": audit_event.action,
        "object_type": audit_event.object_type,
        "object_id": audit_event.object_id,
        "payload": audit_event.payload,
    }


# The seal's three statements as plain SQL (exec_driver_sql: engine events and logging still
# see them, but nothing is compiled or looked up per commit). SQLite's BEGIN IMMEDIATE has
# already serialised writers; PostgreSQL takes the head row's lock.
_SEAL_SQL = {
    "sqlite": (
        "SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1",
        "INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, action, object_type, object_id, "
        "payload, prev_hash, event_hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        "UPDATE audit_chain_head SET last_seq = ?, last_hash = ? WHERE id = 1",
    ),
    "postgresql": (
        "SELECT last_seq, last_hash FROM audit_chain_head WHERE id = 1 FOR UPDATE",
        "INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, action, object_type, object_id, "
        "payload, prev_hash, event_hash) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
        "UPDATE audit_chain_head SET last_seq = %s, last_hash = %s WHERE id = 1",
    ),
}


def _stored_time(audit_event: AuditEvent, hashed_text: str, dialect_name: str):
    """occurred_at as the column stores it: SQLAlchemy's SQLite text form, or the aware UTC time."""
    if dialect_name == "sqlite":
        return f"{hashed_text[:10]} {hashed_text[11:26]}"
    return audit_event.occurred_at


def _seal(session: Session) -> None:
    if not session.info.get(_PENDING):
        return
    # Everything else the transaction writes goes first (with any event its flush records),
    # so the chain head is its last lock.
    session.flush()
    pending = session.info.pop(_PENDING)
    connection = session.connection()
    dialect_name = connection.dialect.name
    lock_head, insert_events, update_head = _SEAL_SQL[dialect_name]
    head = connection.exec_driver_sql(lock_head).first()
    if head is None:
        raise RuntimeError("audit_chain_head is missing its row: run the migrations")
    seq, last_hash = head
    rows = []
    times: dict = {}  # occurred_at -> (hashed text, stored value): a batch's events share one time
    for audit_event in pending:
        seq += 1
        prev_hash = last_hash
        occurred_at = audit_event.occurred_at
        texts = times.get(occurred_at)
        if texts is None:
            hashed = timestamp_text(occurred_at)
            texts = times[occurred_at] = (hashed, _stored_time(audit_event, hashed, dialect_name))
        # The values of event_fields(), in EVENT_FIELDS order.
        values = (
            seq,
            texts[0],
            audit_event.actor_type,
            audit_event.actor_id,
            audit_event.action,
            audit_event.object_type,
            audit_event.object_id,
            audit_event.payload,
        )
        last_hash = chain_hash(prev_hash, dict(zip(EVENT_FIELDS, values)))
        audit_event.id, audit_event.prev_hash, audit_event.event_hash = seq, prev_hash, last_hash
        rows.append(values[:1] + (texts[1],) + values[2:] + (prev_hash, last_hash))
    # One INSERT for all of the transaction's events (no unit of work, no identity map), one UPDATE.
    connection.exec_driver_sql(insert_events, rows if len(rows) > 1 else rows[0])
    connection.exec_driver_sql(update_head, (seq, last_hash))


@event.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    _seal(session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)

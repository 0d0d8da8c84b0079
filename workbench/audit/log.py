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
from datetime import timezone
from typing import Any

from sqlalchemy import event, select
from sqlalchemy.orm import Session, scoped_session

from workbench.audit.actor import Actor
from workbench.audit.verifier import chain_hash
from workbench.models.audit import AuditChainHead, AuditEvent
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
    return value.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def record(session: Session, actor: Actor, action: str, object_type: str, object_id: Any,
           **payload: Any) -> AuditEvent:
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


def _seal(session: Session) -> None:
    pending = session.info.pop(_PENDING, None)
    if not pending:
        return
    head = session.scalar(select(AuditChainHead).where(AuditChainHead.id == 1).with_for_update())
    if head is None:
        raise RuntimeError("audit_chain_head is missing its row: run the migrations")
    for audit_event in pending:
        audit_event.id = head.last_seq + 1
        audit_event.prev_hash = head.last_hash
        audit_event.event_hash = chain_hash(head.last_hash, event_fields(audit_event))
        head.last_seq = audit_event.id
        head.last_hash = audit_event.event_hash
        session.add(audit_event)


@event.listens_for(Session, "before_commit")
def _seal_before_commit(session: Session) -> None:
    _seal(session)


@event.listens_for(Session, "after_soft_rollback")
def _drop_on_rollback(session: Session, previous_transaction) -> None:
    session.info.pop(_PENDING, None)

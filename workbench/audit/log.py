"""Appending audit events inside the caller's transaction."""
from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session

from workbench.audit.actor import Actor
from workbench.models.audit import AuditEvent

# Raw personal data never goes into the log: these keys are refused outright.
FORBIDDEN_PAYLOAD_KEYS = frozenset({"author_id", "email", "name", "text", "password", "ip", "contact"})


class PersonalDataInAuditPayload(ValueError):
    pass


def canonical_json(payload: dict[str, Any]) -> str:
    """The one serialisation that is stored and, later, hashed."""
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def record(session: Session, actor: Actor, action: str, object_type: str, object_id: Any,
           **payload: Any) -> AuditEvent:
    """Add an audit event to `session`; it commits or rolls back with the change it describes."""
    leaked = FORBIDDEN_PAYLOAD_KEYS.intersection(payload)
    if leaked:
        raise PersonalDataInAuditPayload(f"audit payload must not contain {sorted(leaked)}")
    event = AuditEvent(
        actor_type=actor.type,
        actor_id=actor.id,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        payload=canonical_json(payload),
    )
    session.add(event)
    return event

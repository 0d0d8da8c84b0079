"""Searching the audit log for auditors, and one event's proof of inclusion.

Search pages backwards through the chain by id (keyset: `id < before`), so every page costs
the same however deep the auditor goes. Each filter has an index that ends in the id
(models/audit.py), so the database walks it in id order and stops after one page.

The proof is RFC 6962's audit path of the event's leaf under the latest signed checkpoint,
built from the stored tree nodes (audit/tree.py) in O(log n) reads.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.audit import tree, verifier
from workbench.audit.checkpoints import checkpoint_dict
from workbench.audit.log import timestamp_text
from workbench.models.audit import ACTOR_TYPES, AuditCheckpoint, AuditEvent

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500


class InvalidAuditQuery(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.message, self.field = message, field


@dataclass(frozen=True)
class AuditQuery:
    object_type: str | None = None
    object_id: str | None = None
    actor: str | None = None  # "user:7", "system:retention", or a type alone ("api_client")
    action: str | None = None  # exact, or a prefix ending in "*" ("export.*")
    since: datetime | None = None
    until: datetime | None = None
    before: int | None = None  # keyset cursor: events with a smaller id
    limit: int = PAGE_SIZE


@dataclass
class AuditPage:
    events: list[AuditEvent]
    next_before: int | None  # cursor of the next (older) page, None on the last one


def _filters(query: AuditQuery) -> list:
    where = []
    if query.object_id and not query.object_type:
        raise InvalidAuditQuery("Give the object type with the object id.", "object_type")
    if query.object_type:
        where.append(AuditEvent.object_type == query.object_type)
    if query.object_id:
        where.append(AuditEvent.object_id == query.object_id)
    if query.actor:
        actor_type, _, actor_id = query.actor.partition(":")
        if actor_type not in ACTOR_TYPES:
            raise InvalidAuditQuery(f"The actor is TYPE or TYPE:ID with a type of {', '.join(ACTOR_TYPES)}.", "actor")
        where.append(AuditEvent.actor_type == actor_type)
        if actor_id:
            where.append(AuditEvent.actor_id == actor_id)
    if query.action:
        if query.action.endswith("*"):
            prefix = query.action[:-1].replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(AuditEvent.action.like(prefix + "%", escape="\\"))
        else:
            where.append(AuditEvent.action == query.action)
    if query.since and query.until and query.since >= query.until:
        raise InvalidAuditQuery("The start of the time range must be before its end.", "until")
    if query.since:
        where.append(AuditEvent.occurred_at >= query.since)
    if query.until:
        where.append(AuditEvent.occurred_at < query.until)
    if query.before is not None:
        where.append(AuditEvent.id < query.before)
    return where


def search_events(session: Session, query: AuditQuery) -> AuditPage:
    limit = max(1, min(query.limit, MAX_PAGE_SIZE))
    rows = list(
        session.scalars(select(AuditEvent).where(*_filters(query)).order_by(AuditEvent.id.desc()).limit(limit + 1))
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return AuditPage(rows, rows[-1].id if more and rows else None)


def event_document(event: AuditEvent) -> dict:
    return {
        "id": event.id,
        "occurred_at": timestamp_text(event.occurred_at),
        "actor_type": event.actor_type,
        "actor_id": event.actor_id,
        "action": event.action,
        "object_type": event.object_type,
        "object_id": event.object_id,
        "payload": event.payload,
        "prev_hash": event.prev_hash,
        "event_hash": event.event_hash,
    }


def inclusion_document(session: Session, event_id: int, public_key_pem: bytes | None = None) -> dict | None:
    """The event, its chain position and hashes, and its proof against the latest checkpoint,
    from the stored tree nodes (audit/tree.py): O(log n) rows, whatever the size of the log."""
    event = session.get(AuditEvent, event_id)
    if event is None:
        return None
    document = {
        "event": event_document(event),
        "chain_position": event.id,
        "leaf_hash": verifier.leaf_hash(event.event_hash).hex(),
        "checkpoint": None,
        "inclusion_proof": None,
        "public_key_pem": public_key_pem.decode() if public_key_pem else None,
    }
    if public_key_pem is None:
        document["public_key_note"] = (
            "No public key is published yet: the sweeper (or `flask audit checkpoint`) "
            "writes it when it signs (WORKBENCH_AUDIT_PUBLIC_KEY)."
        )
    checkpoint = session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1))
    if checkpoint is None or checkpoint.tree_size < event.id:
        document["note"] = "No signed checkpoint covers this event yet; the next one will (the sweeper signs them)."
        return document
    signed = checkpoint_dict(checkpoint)
    try:
        proof = tree.inclusion_proof(session.connection(), event.id - 1, checkpoint.tree_size)
    except tree.TreeDataMissing as exc:
        document.update(
            checkpoint=signed,
            note=f"No proof can be built from the stored tree ({exc}). "
            "`flask audit verify` checks the log; `flask audit checkpoint` stores missing tree nodes.",
        )
        return document
    document.update(
        {
            "checkpoint": signed,
            "leaf_index": event.id - 1,
            "inclusion_proof": [node.hex() for node in proof],
            "verifies": verifier.verify_inclusion(
                verifier.leaf_hash(event.event_hash),
                event.id - 1,
                checkpoint.tree_size,
                proof,
                bytes.fromhex(checkpoint.root_hash),
            ),
            "how_to_verify": "RFC 6962 / RFC 9162 s. 2.1.3.2: leaf = SHA-256(0x00 || event_hash); fold the proof "
            "from leaf_index in a tree of checkpoint.tree_size leaves; compare with root_hash, "
            "whose Ed25519 signature public_key_pem checks (verifier.py in the audit bundle).",
        }
    )
    if public_key_pem is not None:
        document["signature_valid"] = verifier.signature_valid(public_key_pem, signed)
    return document

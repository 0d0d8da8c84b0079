"""Signed checkpoints of the audit log, and verifying the log against them."""
from __future__ import annotations

from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.audit import verifier
from workbench.audit.keys import key_id, public_key_pem
from workbench.audit.log import timestamp_text
from workbench.models.audit import AuditCheckpoint, AuditEvent
from workbench.models.base import utcnow

STREAM_CHUNK = 10_000


def iter_event_dicts(session: Session, *, through: int | None = None) -> Iterator[dict]:
    """Every event in chain order as the verifier reads it, streamed in chunks (flat memory)."""
    columns = (AuditEvent.id, AuditEvent.occurred_at, AuditEvent.actor_type, AuditEvent.actor_id,
               AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id, AuditEvent.payload,
               AuditEvent.prev_hash, AuditEvent.event_hash)
    last_id = 0
    while True:
        query = select(*columns).where(AuditEvent.id > last_id).order_by(AuditEvent.id).limit(STREAM_CHUNK)
        if through is not None:
            query = query.where(AuditEvent.id <= through)
        rows = session.execute(query).all()
        if not rows:
            return
        for row in rows:
            yield {
                "id": row.id, "occurred_at": timestamp_text(row.occurred_at), "actor_type": row.actor_type,
                "actor_id": row.actor_id, "action": row.action, "object_type": row.object_type,
                "object_id": row.object_id, "payload": row.payload, "prev_hash": row.prev_hash,
                "event_hash": row.event_hash,
            }
        last_id = rows[-1].id


def checkpoint_dict(checkpoint: AuditCheckpoint) -> dict:
    return {"tree_size": checkpoint.tree_size, "root_hash": checkpoint.root_hash,
            "head_hash": checkpoint.head_hash, "created_at": checkpoint.created_at,
            "key_id": checkpoint.key_id, "signature": checkpoint.signature}


def create_checkpoint(session: Session, signing_key) -> AuditCheckpoint | None:
    """Sign the tree head over every event committed so far (None if nothing is new)."""
    latest = session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1))
    head_id = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0
    if head_id == 0 or (latest is not None and latest.tree_size >= head_id):
        session.rollback()
        return None
    accumulator = verifier.MerkleAccumulator()
    head_hash = verifier.GENESIS
    for event in iter_event_dicts(session, through=head_id):
        accumulator.add(verifier.leaf_hash(event["event_hash"]))
        head_hash = event["event_hash"]
    fields = {"tree_size": accumulator.size, "root_hash": accumulator.root().hex(), "head_hash": head_hash,
              "created_at": timestamp_text(utcnow())}
    signature = signing_key.sign(verifier.checkpoint_message(fields)).hex()
    checkpoint = AuditCheckpoint(key_id=key_id(signing_key), signature=signature, **fields)
    session.add(checkpoint)
    session.commit()
    return checkpoint


def verify_log(session: Session, signing_key) -> verifier.Verification:
    checkpoints = [checkpoint_dict(c) for c in session.scalars(select(AuditCheckpoint))]
    return verifier.verify(iter_event_dicts(session), checkpoints, public_key_pem(signing_key))

"""The append-only audit log.

Each row keeps its payload as the exact canonical JSON text that is hashed. `id` is the
position in the SHA-256 hash chain (assigned at commit under the chain head's lock, so
there are no gaps), `prev_hash`/`event_hash` link the chain. The ORM refuses to update or
delete a row, and on PostgreSQL triggers refuse UPDATE, DELETE and TRUNCATE too (the
database role the app runs as should not own the table either: docs/operations.md).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DDL, BigInteger, Index, Integer, SmallInteger, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, BigId, UTCDateTime, utcnow

ACTOR_TYPES = ("user", "api_client", "system")


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        # Each filter's index ends in the id, so the auditors' search (services/exports/audit_search.py)
        # walks it in chain order and stops after one keyset page.
        Index("ix_audit_events_object", "object_type", "object_id", "id"),
        Index("ix_audit_events_actor", "actor_type", "actor_id", "id"),
        Index("ix_audit_events_action_id", "action", "id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64))  # indexed with the id: ix_audit_events_action_id
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    event_hash: Mapped[str | None] = mapped_column(String(64))


class AuditChainHead(Base):
    """The single row that serialises appends: the last sequence number and hash."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    last_seq: Mapped[int] = mapped_column(BigInteger, default=0)
    last_hash: Mapped[str] = mapped_column(String(64))


class AuditCheckpoint(Base):
    """A signed RFC 6962 tree head over the first `tree_size` events."""

    __tablename__ = "audit_checkpoints"

    id: Mapped[int] = mapped_column(primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger, unique=True)
    root_hash: Mapped[str] = mapped_column(String(64))
    head_hash: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(32))  # the exact signed text
    key_id: Mapped[str] = mapped_column(String(64))
    signature: Mapped[str] = mapped_column(String(128))


class AuditTreeNode(Base):
    """The RFC 6962 hash of a complete, aligned perfect subtree of the events' Merkle tree
    (audit/tree.py): leaves node_index * 2**level .. (node_index + 1) * 2**level - 1."""

    __tablename__ = "audit_tree_nodes"

    level: Mapped[int] = mapped_column(SmallInteger, primary_key=True, autoincrement=False)
    node_index: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(64))


GENESIS_HASH = "0" * 64
SEED_CHAIN_HEAD = f"INSERT INTO audit_chain_head (id, last_seq, last_hash) VALUES (1, 0, '{GENESIS_HASH}')"
PG_APPEND_ONLY_TRIGGER = (
    "CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger AS $$ "
    "BEGIN RAISE EXCEPTION 'audit_events is append-only (%% refused)', TG_OP; END; $$ LANGUAGE plpgsql",
    "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
    "FOR EACH ROW EXECUTE FUNCTION audit_events_append_only()",
)

# TRUNCATE skips row triggers: a statement trigger refuses it (same function, TG_OP says which).
# The test suite's reset disables it in its own superuser session (tests/support/apps.py).
PG_NO_TRUNCATE_TRIGGER = (
    "CREATE TRIGGER audit_events_no_truncate BEFORE TRUNCATE ON audit_events "
    "FOR EACH STATEMENT EXECUTE FUNCTION audit_events_append_only()"
)

event.listen(AuditChainHead.__table__, "after_create", DDL(SEED_CHAIN_HEAD))
for _statement in PG_APPEND_ONLY_TRIGGER + (PG_NO_TRUNCATE_TRIGGER,):
    event.listen(AuditEvent.__table__, "after_create", DDL(_statement).execute_if(dialect="postgresql"))


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):
    raise AuditLogIsAppendOnly(f"audit event {target.id} cannot be updated")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AuditLogIsAppendOnly(f"audit event {target.id} cannot be deleted")

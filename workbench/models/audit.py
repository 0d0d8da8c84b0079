"""The append-only audit log.

Each row keeps its payload as the exact canonical JSON text that will be hashed, and
has room for the hash chain (`prev_hash`, `event_hash`) the compliance work fills in.
The ORM refuses to update or delete a row; nothing in the app tries.
"""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, String, Text, event
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, BigId, UTCDateTime, utcnow

ACTOR_TYPES = ("user", "api_client", "system")


class AuditEvent(Base):
    __tablename__ = "audit_events"
    __table_args__ = (
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_actor", "actor_type", "actor_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(64), index=True)
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[str] = mapped_column(Text, default="{}")
    prev_hash: Mapped[str | None] = mapped_column(String(64))
    event_hash: Mapped[str | None] = mapped_column(String(64))


class AuditLogIsAppendOnly(RuntimeError):
    pass


@event.listens_for(AuditEvent, "before_update")
def _refuse_update(mapper, connection, target):
    raise AuditLogIsAppendOnly(f"audit event {target.id} cannot be updated")


@event.listens_for(AuditEvent, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise AuditLogIsAppendOnly(f"audit event {target.id} cannot be deleted")

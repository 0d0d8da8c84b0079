"""The old -> new pseudonym of each platform's users, recorded when pseudonyms became per platform.

Migration 0008c re-keyed every stored pseudonym (see services/privacy/pseudonyms.py); rows written
before it, and copies made from them (exports, notes), carry the old value. This table lets
an auditor follow them to the rows of today. An erasure deletes the person's pairs.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, BigId, UTCDateTime, utcnow


class PseudonymRekey(Base):
    __tablename__ = "pseudonym_rekeys"
    __table_args__ = (UniqueConstraint("client_id", "old_pseudonym"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    old_pseudonym: Mapped[str] = mapped_column(String(64))
    new_pseudonym: Mapped[str] = mapped_column(String(64), index=True)
    rekeyed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

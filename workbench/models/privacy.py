"""GDPR erasure requests: what was asked and what was done, without the personal data."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, UTCDateTime, utcnow


class ErasureRequest(Base):
    __tablename__ = "erasure_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    requested_by: Mapped[str] = mapped_column(String(64))  # actor, e.g. "user:3"
    # Which identifiers were given ("platform_user_id", "email"), never their values.
    identifiers: Mapped[str] = mapped_column(String(100))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    items_erased: Mapped[int] = mapped_column(Integer, default=0)
    blobs_purged: Mapped[int] = mapped_column(Integer, default=0)
    contacts_erased: Mapped[int] = mapped_column(Integer, default=0)
    # Item ids kept under a legal evidence hold (GDPR Art. 17(3)(b)), JSON list, with reasons.
    held: Mapped[str] = mapped_column(Text, default="[]")

"""Evidence holds: an item's content must be kept until a date, whatever retention or a GDPR
erasure request would otherwise do (GDPR Art. 17(3)(b) and (e)).

A hold comes from the policy catalogue (a legal class names its preservation period and the
event it counts from: removal, the report to an authority, the order's receipt) or is placed by
hand (a preservation request, e.g. 18 U.S.C. 2703(f)). Active = not released and not yet ended.
services/privacy/holds.py places, extends and releases them; retention and erasure read them.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, BigId, UTCDateTime, utcnow

HOLD_ORIGINS = ("catalogue", "manual")


class EvidenceHold(Base):
    __tablename__ = "evidence_holds"
    __table_args__ = (
        # The same catalogue requirement counted from the same moment is one hold (placing is idempotent).
        UniqueConstraint("item_id", "jurisdiction", "content_class", "starts_at"),
        Index("ix_evidence_holds_item_id_ends_at", "item_id", "ends_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    origin: Mapped[str] = mapped_column(String(16))  # catalogue | manual
    jurisdiction: Mapped[str] = mapped_column(String(8))
    content_class: Mapped[str | None] = mapped_column(String(80))  # None for a manual hold
    reason: Mapped[str] = mapped_column(Text)  # shown on the item
    citation: Mapped[str] = mapped_column(Text)
    # Why keeping the content is lawful under the GDPR (for a hold under non-EU law: Art. 17(3)(e)/6(1)(f)).
    gdpr_basis: Mapped[str] = mapped_column(Text)
    # What the period counts from: removal | authority_report | order_receipt | detection | manual.
    starts_from: Mapped[str] = mapped_column(String(32))
    period: Mapped[str | None] = mapped_column(String(16))  # ISO 8601, for catalogue holds
    # Counted from detection while the event the law names has not happened yet (a report to an
    # authority still pending): the event, once it comes, moves the start and the end.
    provisional: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    placed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    released_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    released_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    release_reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    def is_active(self, now: datetime) -> bool:
        return self.released_at is None and self.ends_at > now

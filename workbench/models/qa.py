"""QA samples: a share of decisions, human and automated, taken for a second review.

A sample is its own row, not a Case: a case is one open review per item (uq_cases_one_open_per_item),
while a QA review changes nothing on the item and may overlap with the item's own open case.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, BigId, UTCDateTime, utcnow

QA_VERDICTS = ("agree", "disagree")


class QaStatus:
    PENDING = "pending"
    REVIEWED = "reviewed"


class QaSample(Base):
    __tablename__ = "qa_samples"
    __table_args__ = (Index("ix_qa_samples_queue_order", "status", "sampled_at"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), unique=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    # Who decided the sampled decision: a user id, or NULL for an automated decision.
    original_decider_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    status: Mapped[str] = mapped_column(String(16), default=QaStatus.PENDING)
    sampled_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # A soft claim so two reviewers are not shown the same sample at once; expires on its own.
    claimed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    claim_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reviewer_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    verdict: Mapped[str | None] = mapped_column(String(16))  # agree | disagree
    reviewer_outcome: Mapped[str | None] = mapped_column(String(32))  # what the reviewer would have decided
    note: Mapped[str | None] = mapped_column(Text)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

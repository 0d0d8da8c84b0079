"""Classifier outputs stored per item, with the model that produced them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, BigId, UTCDateTime, utcnow


class ItemSignal(Base):
    """One label's score from one classifier for one item.

    `classifier`, `classifier_version` and `model_checksum` let an auditor tell exactly
    which model produced a score. `detail` is JSON text (e.g. the frame of an animation).
    A row with `error` set is an error signal: the classifier could not score the item
    (label "error", score 0); a later successful run replaces it.
    """

    __tablename__ = "item_signals"
    __table_args__ = (UniqueConstraint("item_id", "classifier", "label"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    classifier: Mapped[str] = mapped_column(String(64))
    classifier_version: Mapped[str] = mapped_column(String(64))
    model_checksum: Mapped[str | None] = mapped_column(String(64))
    label: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    detail: Mapped[str | None] = mapped_column(Text)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # When the score last changed (a rerun with a new model version, or after an error).
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

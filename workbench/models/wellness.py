"""Moderator wellness: how media is shown to each moderator, and what they were exposed to.

A preference row exists only once a moderator changed the defaults for a content class
(services/wellness/preferences.py holds the defaults). An exposure row records that a moderator
saw an item on a UTC day; the unique key makes a second look on the same day free.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, BigId, UTCDateTime, utcnow

CONTENT_CLASSES = ("nudity", "violence", "hate", "other")


class WellnessPreference(Base):
    __tablename__ = "wellness_preferences"
    __table_args__ = (UniqueConstraint("user_id", "content_class"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    content_class: Mapped[str] = mapped_column(String(16))
    blur: Mapped[bool] = mapped_column(Boolean)
    grayscale: Mapped[bool] = mapped_column(Boolean)
    mute: Mapped[bool] = mapped_column(Boolean)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ExposureEvent(Base):
    __tablename__ = "exposure_events"
    __table_args__ = (
        UniqueConstraint("user_id", "item_id", "day"),
        Index("ix_exposure_events_day_user", "day", "user_id"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    day: Mapped[date] = mapped_column(Date)  # UTC day
    content_class: Mapped[str] = mapped_column(String(16))
    graphic: Mapped[bool] = mapped_column(Boolean)
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

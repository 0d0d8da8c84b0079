"""The case page's strip of a video item: small JPEGs of the frames the classify stage scored.

Made by the worker that decodes those frames anyway (workbench/pipeline/frame_thumbnails.py),
so that no web request decodes a video. They are the content: an erasure or a retention purge
deletes them with the item's other content (services/privacy/content_purge.py).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, LargeBinary, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, BigId, UTCDateTime, utcnow


class ItemFrameThumbnail(Base):
    """Frame `number` of the frames classified for a video item (NudeNet's `frame` detail)."""

    __tablename__ = "item_frame_thumbnails"
    __table_args__ = (UniqueConstraint("item_id", "number"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    time_ms: Mapped[int] = mapped_column(Integer)
    jpeg: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

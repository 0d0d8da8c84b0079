"""An upload from a platform and the hashes computed from it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.models.base import Base, BigId, UTCDateTime, utcnow

ITEM_KINDS = ("text", "image", "video")
# The pipeline's stages in order; Item.stage is the last one an item completed.
STAGE_ORDER = ("hash", "classify", "policy", "route")


class ItemStatus:
    RECEIVED = "received"  # stored, waiting for the pipeline
    PROCESSING = "processing"  # some stages done, see Item.stage
    PROCESSED = "processed"  # every registered stage ran (final)
    ERROR = "error"  # retries exhausted, see Item.error (final)

    FINAL = (PROCESSED, ERROR)
    ACTIVE = (RECEIVED, PROCESSING)


class Item(Base):
    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("client_id", "external_id"),
        Index("ix_items_status_updated_at", "status", "updated_at"),
        Index("ix_items_author_pseudonym", "author_pseudonym"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    external_id: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    # HMAC of the platform's user id: the workbench never stores the raw id.
    author_pseudonym: Mapped[str] = mapped_column(String(64))
    country: Mapped[str] = mapped_column(String(2))
    # Countries the platform shows the item in (sorted ISO codes); NULL = everywhere. The packs of
    # those countries apply to it, whoever uploaded it (policies/applicability.py).
    visible_in: Mapped[list | None] = mapped_column(JSON)
    language: Mapped[str | None] = mapped_column(String(16))
    # 'platform' (sent with the item) or 'detected' (language id in the classify stage).
    language_source: Mapped[str | None] = mapped_column(String(16))
    language_confidence: Mapped[float | None] = mapped_column(Float)
    content_date: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Sent by some platforms; policies may treat brand-new accounts differently.
    account_age_days: Mapped[int | None] = mapped_column(Integer)
    text: Mapped[str | None] = mapped_column(Text)
    blob_sha256: Mapped[str | None] = mapped_column(ForeignKey("blobs.sha256"))
    status: Mapped[str] = mapped_column(String(16), default=ItemStatus.RECEIVED)
    # The last pipeline stage that completed; the next run resumes after it.
    stage: Mapped[str | None] = mapped_column(String(32))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set by a GDPR erasure: the content, its hashes and the author link are gone.
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Set when retention purged the content (text, file, hashes, free text about it; services/privacy/retention.py).
    content_purged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    blob = relationship("Blob")
    # Read-only view for the API; the classify stage writes signals with set-based statements.
    signals = relationship("ItemSignal", order_by="ItemSignal.id", viewonly=True)
    hashes = relationship("ItemHash", order_by="ItemHash.algorithm", lazy="selectin", cascade="all, delete-orphan")

    @property
    def is_final(self) -> bool:
        return self.status in ItemStatus.FINAL


class ItemHash(Base):
    """One hash of an item's bytes or normalised text, per algorithm."""

    __tablename__ = "item_hashes"
    __table_args__ = (
        UniqueConstraint("item_id", "algorithm"),
        Index("ix_item_hashes_algorithm_value", "algorithm", "value"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    algorithm: Mapped[str] = mapped_column(String(32))
    value: Mapped[str] = mapped_column(String(128))
    quality: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

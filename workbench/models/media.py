"""Video and music: the sampled frames of a video item, the frames of a video bank entry,
the reference tracks of a music bank, and the details of a video or music match."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, BigId, UTCDateTime, utcnow


class ItemVideoFrame(Base):
    """One sampled frame of a video item: its vPDQ hash, and where it is."""

    __tablename__ = "item_video_frames"
    __table_args__ = (UniqueConstraint("item_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    time_ms: Mapped[int] = mapped_column(Integer)
    pdq: Mapped[str] = mapped_column(String(64))
    quality: Mapped[int] = mapped_column(Integer)


class BankVideoFrame(Base):
    """One frame of a video bank entry (BankEntry.algorithm == "vpdq"), in vPDQ's terms."""

    __tablename__ = "bank_video_frames"
    __table_args__ = (UniqueConstraint("entry_id", "position"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("bank_entries.id", ondelete="CASCADE"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    pdq: Mapped[str] = mapped_column(String(64))
    quality: Mapped[int] = mapped_column(Integer)
    time_ms: Mapped[int] = mapped_column(Integer)


class MusicTrack(Base):
    """A copyrighted reference track (BankEntry.algorithm == "chromaprint" in a music bank)."""

    __tablename__ = "music_tracks"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("bank_entries.id", ondelete="CASCADE"), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    rights_holder: Mapped[str] = mapped_column(String(255))
    # ISO 3166 alpha-2 codes where the platform holds a licence, space-separated; empty: nowhere.
    licensed_territories: Mapped[str] = mapped_column(Text, default="")
    duration_s: Mapped[float] = mapped_column(Float)
    # Raw Chromaprint words (little-endian uint32) at three sub-word phases, concatenated.
    fingerprint: Mapped[bytes] = mapped_column(LargeBinary)
    phase_lengths: Mapped[str] = mapped_column(String(64))  # e.g. "160,159,159"
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def territories(self) -> list[str]:
        return self.licensed_territories.split()


class MediaMatchDetail(Base):
    """What a vPDQ or music match measured, beside its HashMatch row."""

    __tablename__ = "media_match_details"
    __table_args__ = (UniqueConstraint("item_id", "entry_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("bank_entries.id", ondelete="CASCADE"))
    algorithm: Mapped[str] = mapped_column(String(16))
    query_match_pct: Mapped[float | None] = mapped_column(Float)
    compared_match_pct: Mapped[float | None] = mapped_column(Float)
    matched_s: Mapped[float | None] = mapped_column(Float)
    offset_s: Mapped[float | None] = mapped_column(Float)
    bit_error_rate: Mapped[float | None] = mapped_column(Float)

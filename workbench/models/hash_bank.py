"""Hash banks (lists of known media hashes), their entries, and matches against items."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.models.base import Base, BigId, UTCDateTime, utcnow

BANK_KINDS = ("csam", "terrorism", "ncii", "copyright", "spam", "other")


class HashBank(Base):
    __tablename__ = "hash_banks"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    kind: Mapped[str] = mapped_column(String(16))
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
    # A threshold per algorithm: a CSAM bank may want a tighter PDQ distance than a spam bank.
    pdq_threshold: Mapped[int] = mapped_column(Integer, default=31)
    phash_threshold: Mapped[int] = mapped_column(Integer, default=8)
    dhash_threshold: Mapped[int] = mapped_column(Integer, default=8)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    entries = relationship("BankEntry", back_populates="bank", lazy="noload")


class BankEntry(Base):
    __tablename__ = "bank_entries"
    __table_args__ = (
        UniqueConstraint("bank_id", "algorithm", "value"),
        Index("ix_bank_entries_algorithm_value", "algorithm", "value"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("hash_banks.id"), index=True)
    algorithm: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(128))
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(255), default="")
    added_by: Mapped[str] = mapped_column(String(64), default="")
    added_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    disabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    bank = relationship("HashBank", back_populates="entries")


class HashMatch(Base):
    """An item's hash within a bank entry's threshold (distance 0 for exact hashes)."""

    __tablename__ = "hash_matches"
    __table_args__ = (UniqueConstraint("item_id", "entry_id", "algorithm"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("hash_banks.id"), index=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("bank_entries.id"))
    algorithm: Mapped[str] = mapped_column(String(16))
    distance: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

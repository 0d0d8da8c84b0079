"""Hash banks (lists of known media hashes), their entries, matches against items, the
change feed that keeps every worker's in-memory index current, and list imports."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.models.base import Base, BigId, UTCDateTime, utcnow

BANK_KINDS = ("csam", "terrorism", "ncii", "copyright", "spam", "music", "other")
# Whether platforms (API keys with banks:read) may see a bank they do not own.
BANK_VISIBILITIES = ("private", "shared-read")


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
    # vPDQ (video banks): minimum frame quality and the shares of frames that must match.
    vpdq_quality: Mapped[int] = mapped_column(Integer, default=50, server_default="50")
    vpdq_query_match_pct: Mapped[float] = mapped_column(Float, default=80.0, server_default="80")
    vpdq_compared_match_pct: Mapped[float] = mapped_column(Float, default=0.0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # private: staff and the owner only; shared-read: every platform may read it too.
    visibility: Mapped[str] = mapped_column(String(16), default="private", server_default="private")
    # The API client that created it (None: staff's). Only the owner may change it over the
    # API, and an owned bank matches only its owner's items (services/banks/access.py).
    owner_client_id: Mapped[int | None] = mapped_column(ForeignKey("api_clients.id"), index=True)

    entries = relationship("BankEntry", back_populates="bank", lazy="noload")
    owner = relationship("ApiClient", lazy="select")

    def threshold(self, algorithm: str) -> int:
        """The distance up to which `algorithm` matches in this bank (0 for exact hashes)."""
        return {"pdq": self.pdq_threshold, "phash": self.phash_threshold, "dhash": self.dhash_threshold}.get(
            algorithm, 0
        )


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
    # What shared lists carry besides the hash, kept so an export gives it back.
    tags: Mapped[str] = mapped_column(Text, default="", server_default="")  # space-separated
    category: Mapped[str] = mapped_column(String(64), default="", server_default="")  # pytx category
    descriptor_id: Mapped[str] = mapped_column(String(64), default="", server_default="")  # ThreatExchange
    external_added_on: Mapped[str] = mapped_column(String(64), default="", server_default="")
    # The import that created the entry (None when added by hand).
    import_id: Mapped[int | None] = mapped_column(ForeignKey("bank_imports.id"), index=True)

    bank = relationship("HashBank", back_populates="entries")

    @property
    def enabled(self) -> bool:
        return self.disabled_at is None


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


class BankChangeOp:
    BANK_CHANGED = "bank_changed"  # name, kind, thresholds or enabled changed
    ENTRY_CHANGED = "entry_changed"  # one entry added, disabled, enabled or removed
    ENTRIES_ADDED = "entries_added"  # entries entry_lo..entry_hi of the bank were inserted

    ALL = (BANK_CHANGED, ENTRY_CHANGED, ENTRIES_ADDED)


class BankChange(Base):
    """The change feed: one row per committed change to a bank or its entries.

    Written in the same transaction as the change and its audit event, always as the
    transaction's last insert, under a lock on PostgreSQL (see services.hash_banks.feed),
    so ids appear in commit order and a reader polling `id > last_seen` misses nothing.
    A row says *what* to look at again, never the new state: readers reload that from
    the entries themselves, so applying a change twice or late is harmless.
    """

    __tablename__ = "bank_changes"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("hash_banks.id"))
    op: Mapped[str] = mapped_column(String(24))
    algorithm: Mapped[str | None] = mapped_column(String(16))
    entry_lo: Mapped[int | None] = mapped_column(BigInteger)
    entry_hi: Mapped[int | None] = mapped_column(BigInteger)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ImportStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    FINAL = (DONE, FAILED)


class BankImport(Base):
    """A hash-list file being imported into a bank, with its progress.

    The import commits in chunks; each chunk's entries, bad lines and this row's counters
    commit together, so a retried job resumes at `lines_done` and never counts twice.
    """

    __tablename__ = "bank_imports"

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("hash_banks.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255), default="")
    file_sha256: Mapped[str] = mapped_column(String(64))
    file_size: Mapped[int] = mapped_column(BigInteger, default=0)
    format: Mapped[str] = mapped_column(String(16))
    algorithm: Mapped[str | None] = mapped_column(String(16))
    source: Mapped[str] = mapped_column(String(255), default="")
    status: Mapped[str] = mapped_column(String(16), default=ImportStatus.QUEUED)
    total_lines: Mapped[int] = mapped_column(Integer, default=0)
    lines_done: Mapped[int] = mapped_column(Integer, default=0)
    added: Mapped[int] = mapped_column(Integer, default=0)
    already_present: Mapped[int] = mapped_column(Integer, default=0)
    duplicates_merged: Mapped[int] = mapped_column(Integer, default=0)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)  # why the whole import failed
    actor_type: Mapped[str] = mapped_column(String(16))
    actor_id: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_final(self) -> bool:
        return self.status in ImportStatus.FINAL

    @property
    def percent(self) -> int:
        if self.status == ImportStatus.DONE:
            return 100
        if not self.total_lines:
            return 0
        return min(100, int(100 * self.lines_done / self.total_lines))


class BankImportError(Base):
    """A line of an import file that was not imported, and why."""

    __tablename__ = "bank_import_errors"
    __table_args__ = (UniqueConstraint("import_id", "line"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    import_id: Mapped[int] = mapped_column(ForeignKey("bank_imports.id", ondelete="CASCADE"))
    line: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str] = mapped_column(Text)
    content: Mapped[str] = mapped_column(Text, default="")  # the start of the offending line

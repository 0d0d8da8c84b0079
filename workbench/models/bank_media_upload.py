"""A video or reference track uploaded on a bank page, waiting for a worker to hash it.

The web request only checks the file's container (services/intake/videos.py) and keeps the
file; decoding it (vPDQ frames, the audio fingerprint) is a job. The row is what the bank page
shows until the entry exists, and why the upload failed if it did.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, BigId, UTCDateTime, utcnow


class MediaUploadStatus:
    QUEUED = "queued"
    DONE = "done"  # the entry was added (or the bank already held it: entry_id is None)
    FAILED = "failed"  # the worker could not decode the file; `error` says why

    FINAL = (DONE, FAILED)


class BankMediaUpload(Base):
    __tablename__ = "bank_media_uploads"

    id: Mapped[int] = mapped_column(primary_key=True)
    bank_id: Mapped[int] = mapped_column(ForeignKey("hash_banks.id"), index=True)
    kind: Mapped[str] = mapped_column(String(8))  # "video" or "track"
    file_sha256: Mapped[str] = mapped_column(String(64))  # in the import file store until processed
    file_size: Mapped[int] = mapped_column(BigInteger)
    status: Mapped[str] = mapped_column(String(16), default=MediaUploadStatus.QUEUED)
    note: Mapped[str] = mapped_column(Text, default="")
    source: Mapped[str] = mapped_column(String(255), default="")
    # Tracks only: what the music entry will carry.
    title: Mapped[str] = mapped_column(String(255), default="")
    rights_holder: Mapped[str] = mapped_column(String(255), default="")
    territories: Mapped[str] = mapped_column(Text, default="")
    actor_type: Mapped[str] = mapped_column(String(16))  # who uploaded: the entry is added in their name
    actor_id: Mapped[str] = mapped_column(String(64))
    entry_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("bank_entries.id", ondelete="SET NULL"))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_final(self) -> bool:
        return self.status in MediaUploadStatus.FINAL

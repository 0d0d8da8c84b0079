"""An export an auditor started: audit bundle, statements of reasons or transparency report.

The row is the job's progress record (the exports page polls it) and, once done, points at
the finished file by path and SHA-256 so the download can be checked against it.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, UTCDateTime, utcnow


class ExportStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
    EXPIRED = "expired"  # done, and its file deleted after WORKBENCH_EXPORT_KEEP_DAYS

    FINAL = (DONE, FAILED, EXPIRED)


class ExportRun(Base):
    __tablename__ = "export_runs"
    __table_args__ = (Index("ix_export_runs_created_at", "created_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))  # audit_bundle | sor | transparency
    parameters: Mapped[dict] = mapped_column(JSON, default=dict)  # {"since": iso, "until": iso}
    requested_by: Mapped[str] = mapped_column(String(64))  # "user:7"
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    status: Mapped[str] = mapped_column(String(16), default=ExportStatus.QUEUED)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    file_path: Mapped[str | None] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(String(200))
    file_size: Mapped[int | None] = mapped_column(BigInteger)
    sha256: Mapped[str | None] = mapped_column(String(64))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_final(self) -> bool:
        return self.status in ExportStatus.FINAL

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0

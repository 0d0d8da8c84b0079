"""A backtest: a draft pack run against stored items, compared with the published version.

The draft's text is copied in, so the results stay true to what was tested even if the draft
is edited afterwards. The row doubles as the progress record the page polls.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, UTCDateTime, utcnow


class BacktestStatus:
    QUEUED = "queued"
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"

    FINAL = (DONE, FAILED)


class Backtest(Base):
    __tablename__ = "policy_backtests"

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("policy_packs.id"), index=True)
    jurisdiction: Mapped[str] = mapped_column(String(8))
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("policy_drafts.id"))
    draft_text: Mapped[str] = mapped_column(Text)
    draft_sha256: Mapped[str] = mapped_column(String(64))
    # The published version of the same pack it is compared with (None: the pack is new).
    baseline_version: Mapped[int | None] = mapped_column(Integer)
    scope: Mapped[dict] = mapped_column(JSON)  # {"last_n": 1000} or {"since": iso, "until": iso}
    status: Mapped[str] = mapped_column(String(16), default=BacktestStatus.QUEUED)
    progress_done: Mapped[int] = mapped_column(Integer, default=0)
    progress_total: Mapped[int] = mapped_column(Integer, default=0)
    results: Mapped[dict | None] = mapped_column(JSON)
    error: Mapped[str | None] = mapped_column(Text)
    requested_by: Mapped[str] = mapped_column(String(64))
    requested_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    @property
    def is_final(self) -> bool:
        return self.status in BacktestStatus.FINAL

    @property
    def percent(self) -> int:
        if self.status == BacktestStatus.DONE:
            return 100
        return int(100 * self.progress_done / self.progress_total) if self.progress_total else 0

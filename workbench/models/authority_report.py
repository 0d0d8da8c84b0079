"""Reports made to an authority about an item (18 U.S.C. 2258A: NCMEC's CyberTipline).

A row without a reference is pending: a rule or a reviewer's finding calls for the report, and
a person records it (who, when, the authority's reference) once it is made. The report's time
starts the law's preservation period (services/review/authority_reports.py places the hold).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, BigId, UTCDateTime, utcnow


class AuthorityReport(Base):
    __tablename__ = "authority_reports"
    __table_args__ = (Index("ix_authority_reports_item_id_authority", "item_id", "authority"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"))
    decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    authority: Mapped[str] = mapped_column(String(64))  # "NCMEC"
    law: Mapped[str] = mapped_column(String(128))  # "18 U.S.C. 2258A"
    # The rule that called for the report, "US@3:us.ncmec.csam-hash-match" (None: recorded by hand).
    rule: Mapped[str | None] = mapped_column(String(128))
    reference: Mapped[str | None] = mapped_column(String(128))  # the CyberTipline report id; None = pending
    reported_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    reported_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    @property
    def pending(self) -> bool:
        return self.reference is None

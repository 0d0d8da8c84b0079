"""Appeals (DSA Art. 20 internal complaints) against a decision, and the reversals they cause.

The complainant's contact details live in their own table (like ReportContact) so an erasure
request can delete them without touching the appeal, which the transparency figures count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.models.base import Base, BigId, UTCDateTime, utcnow

APPEAL_OUTCOMES = ("uphold", "overturn")


class AppealStatus:
    OPEN = "open"
    DECIDED = "decided"


class Appeal(Base):
    __tablename__ = "appeals"
    # The platform's own appeal id: a resent appeal is answered with the first one.
    __table_args__ = (UniqueConstraint("client_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    external_id: Mapped[str] = mapped_column(String(255))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"), index=True)  # the appealed decision
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)  # its case in the appeals queue
    explanation: Mapped[str] = mapped_column(Text)  # the complainant's own words
    complainant_pseudonym: Mapped[str | None] = mapped_column(String(64), index=True)
    status: Mapped[str] = mapped_column(String(16), default=AppealStatus.OPEN)
    outcome: Mapped[str | None] = mapped_column(String(16))  # uphold | overturn
    # The reasoned answer the complainant receives (Art. 20(5)), and the reviewer's internal note.
    reply: Mapped[str | None] = mapped_column(Text)
    note: Mapped[str | None] = mapped_column(Text)
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The decision an overturn recorded (visibility restored).
    outcome_decision_id: Mapped[int | None] = mapped_column(ForeignKey("decisions.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    contact = relationship("AppealContact", uselist=False, lazy="selectin", cascade="all, delete-orphan")

    @property
    def is_open(self) -> bool:
        return self.status == AppealStatus.OPEN


class AppealContact(Base):
    """Erasable personal data of a complainant."""

    __tablename__ = "appeal_contacts"

    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class DecisionReversal(Base):
    """Marks a decision as reversed on appeal: at most once (primary key), with what replaced it."""

    __tablename__ = "decision_reversals"

    decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id", ondelete="CASCADE"), primary_key=True)
    reversed_by_decision_id: Mapped[int] = mapped_column(ForeignKey("decisions.id"))
    appeal_id: Mapped[int] = mapped_column(ForeignKey("appeals.id"))
    reversed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

"""Notices about an item (user reports, trusted flaggers, authority orders).

The reporter's contact details live in their own table so an erasure request can
delete them without touching the notice, which regulators' figures still count.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.models.base import Base, BigId, UTCDateTime, utcnow

REPORT_SOURCES = ("user", "trusted_flagger", "authority_order")


class Report(Base):
    __tablename__ = "reports"
    __table_args__ = (UniqueConstraint("client_id", "external_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id"), index=True)
    client_id: Mapped[int] = mapped_column(ForeignKey("api_clients.id"))
    # The platform's own notice id, so a resent notice is not counted twice.
    external_id: Mapped[str | None] = mapped_column(String(255))
    source: Mapped[str] = mapped_column(String(32))
    category: Mapped[str] = mapped_column(String(64))
    explanation: Mapped[str | None] = mapped_column(Text)
    # Authority orders name the authority and its reference (not personal data).
    authority: Mapped[str | None] = mapped_column(String(255))
    order_reference: Mapped[str | None] = mapped_column(String(255))
    # Where the notice or order was issued (ISO country code): that jurisdiction's packs apply.
    issuing_jurisdiction: Mapped[str | None] = mapped_column(String(2))
    # The issuing officer's rank, a code of the catalogue's rank vocabulary (e.g. joint_secretary).
    authority_rank: Mapped[str | None] = mapped_column(String(64))
    reporter_pseudonym: Mapped[str | None] = mapped_column(String(64), index=True)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    contact = relationship("ReportContact", uselist=False, lazy="selectin", cascade="all, delete-orphan")


class ReportContact(Base):
    """Erasable personal data of a reporter."""

    __tablename__ = "report_contacts"

    report_id: Mapped[int] = mapped_column(ForeignKey("reports.id", ondelete="CASCADE"), primary_key=True)
    name: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

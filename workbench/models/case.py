"""A case: an item waiting for human review in a queue, under a deadline.

Opened by the route stage from the policy plan; the review-queue work adds claims, leases and
the moderator's decision. An item has at most one open case: new facts tighten it (strictest
deadline, most urgent priority) instead of opening another.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, SmallInteger, String, false, text
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, BigId, UTCDateTime, utcnow


class CaseStatus:
    OPEN = "open"
    CLOSED = "closed"


class Case(Base):
    __tablename__ = "cases"
    __table_args__ = (
        Index(
            "uq_cases_one_open_per_item",
            "item_id",
            unique=True,
            sqlite_where=text("status = 'open'"),
            postgresql_where=text("status = 'open'"),
        ),
        Index("ix_cases_queue_order", "status", "queue", "priority_rank", "due_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    queue: Mapped[str] = mapped_column(String(64))
    priority: Mapped[str] = mapped_column(String(16))  # critical, high, normal, low
    priority_rank: Mapped[int] = mapped_column(SmallInteger)  # 0 = critical: sorts most urgent first
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.OPEN)
    due_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # None: no deadline applies
    # {hours, source, citation, rule: {jurisdiction, pack_version, rule_id}} of the strictest deadline.
    deadline: Mapped[dict | None] = mapped_column(JSON)
    # The rule that routed the item to this queue.
    rule_jurisdiction: Mapped[str] = mapped_column(String(8))
    rule_pack_version: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[str] = mapped_column(String(80))
    jurisdictions: Mapped[list] = mapped_column(JSON)  # the packs applied to the item, e.g. ["GLOBAL", "EU", "DE"]
    escalations: Mapped[list] = mapped_column(JSON, default=list)  # [{to, reason, rule}]
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("policy_evaluations.id"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Claims (services/review/claims.py): a lease that expires returns the case to its queue.
    claimed_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), index=True)
    lease_expires_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Bumped on every claim: a decision names the claim it was made under (no ABA on leases).
    claim_token: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # Escalated to senior moderators (cases.escalated): only they may claim it.
    escalated: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    escalation_reason: Mapped[str | None] = mapped_column(String(500))
    # Held by its claimant past the lease (waiting for context); None = not held.
    held_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    hold_reason: Mapped[str | None] = mapped_column(String(500))
    closed_by_decision_id: Mapped[int | None] = mapped_column(BigId)

    @property
    def rule_ref(self) -> dict:
        return {
            "jurisdiction": self.rule_jurisdiction,
            "pack_version": str(self.rule_pack_version),
            "rule_id": self.rule_id,
        }

    @property
    def is_open(self) -> bool:
        return self.status == CaseStatus.OPEN


# "Next case" (services/review/claims.py): open cases only (closed ones pile up forever and
# never enter it), in the claim's order: escalations first for senior moderators (an equality
# on `escalated` for everyone else), then priority, deadline (NULL last) and id.
Index(
    "ix_cases_open_claim_order",
    Case.escalated.desc(),
    Case.priority_rank,
    Case.due_at,
    Case.id,
    postgresql_where=Case.status == CaseStatus.OPEN,
    sqlite_where=Case.status == CaseStatus.OPEN,
)

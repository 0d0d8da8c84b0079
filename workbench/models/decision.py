"""Decisions about an item: automated ones from a published rule, and (later) moderators'.

Every decision names the pack version and rule it rests on, so it can be explained to the
user, appealed, and reported under DSA Art. 17 / 24(5).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from workbench.models.base import Base, BigId, UTCDateTime, utcnow


class Decision(Base):
    __tablename__ = "decisions"
    # An automated outcome already applied to the item is not recorded twice when the item is
    # evaluated again; human decisions leave dedupe_key NULL (never equal in a unique constraint).
    __table_args__ = (UniqueConstraint("item_id", "dedupe_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"), index=True)
    case_id: Mapped[int | None] = mapped_column(ForeignKey("cases.id"), index=True)
    evaluation_id: Mapped[int | None] = mapped_column(ForeignKey("policy_evaluations.id"))
    automated: Mapped[bool] = mapped_column(Boolean)
    outcome: Mapped[str] = mapped_column(String(32))  # the most severe action, e.g. remove, geo_restrict
    actions: Mapped[list] = mapped_column(JSON)  # every action with its rule reference
    # removed | geo_restricted | age_restricted | demoted | labelled | visible
    visibility: Mapped[str] = mapped_column(String(16))
    territorial_scope: Mapped[list | None] = mapped_column(JSON)  # countries; None = everywhere
    rule_jurisdiction: Mapped[str] = mapped_column(String(8))
    rule_pack_version: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[str] = mapped_column(String(80))
    statement_of_reasons: Mapped[dict | None] = mapped_column(JSON)  # DSA fields, when one is required
    dedupe_key: Mapped[str | None] = mapped_column(String(64))
    decided_by: Mapped[str] = mapped_column(String(64))  # "system:route" or "user:7"
    decided_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Human decisions (services/review/decisions.py): the note stays inside the workbench; the
    # explanation is what the user receives with the statement of reasons.
    internal_note: Mapped[str | None] = mapped_column(Text)
    user_explanation: Mapped[str | None] = mapped_column(Text)
    # The case this one was applied from in bulk (same hash match or same author), if any.
    bulk_source_case_id: Mapped[int | None] = mapped_column(BigId)

    @property
    def rule_ref(self) -> dict:
        return {
            "jurisdiction": self.rule_jurisdiction,
            "pack_version": str(self.rule_pack_version),
            "rule_id": self.rule_id,
        }

"""The policy evaluation of an item: which pack versions ran, which rules matched, the plan.

An item is evaluated again when new facts arrive (a report); each distinct set of facts and
pack versions is one row (`fingerprint`), so rerunning a stage never duplicates it. The item's
current evaluation is its latest. Packs and matched rules also go in narrow child tables so
hit rates are a GROUP BY, not a scan of JSON.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.models.base import Base, BigId, UTCDateTime, utcnow


class PolicyEvaluation(Base):
    __tablename__ = "policy_evaluations"
    __table_args__ = (
        UniqueConstraint("item_id", "fingerprint"),
        Index("ix_policy_evaluations_item_latest", "item_id", "evaluated_at"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    # sha256 of the facts and the (jurisdiction, version, text sha256) of every pack used.
    fingerprint: Mapped[str] = mapped_column(String(64))
    trigger: Mapped[str] = mapped_column(String(16), default="pipeline")  # pipeline | report | publish
    # When the newest fact arrived: the item, or the newest report the facts include.
    facts_as_of: Mapped[datetime] = mapped_column(UTCDateTime())
    # When the deadline's clock started: for a class counted from an order, notice or request, the
    # receipt of the report that made the deadline's rule match; NULL = facts_as_of (older rows).
    deadline_from: Mapped[datetime | None] = mapped_column(UTCDateTime())
    visibility: Mapped[str] = mapped_column(String(16))  # removed | geo_restricted | visible
    acts: Mapped[bool] = mapped_column(Boolean)
    plan: Mapped[dict] = mapped_column(JSON)  # DecisionPlan.to_dict()
    evaluated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    packs = relationship(
        "EvaluationPack", order_by="EvaluationPack.position", lazy="selectin", cascade="all, delete-orphan"
    )
    rule_hits = relationship("RuleHit", order_by="RuleHit.id", lazy="selectin", cascade="all, delete-orphan")


class EvaluationPack(Base):
    """One pack version applied in an evaluation (GLOBAL, then EU, then the country)."""

    __tablename__ = "policy_evaluation_packs"
    __table_args__ = (
        UniqueConstraint("evaluation_id", "jurisdiction"),
        Index("ix_policy_evaluation_packs_version", "jurisdiction", "pack_version"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("policy_evaluations.id", ondelete="CASCADE"))
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    jurisdiction: Mapped[str] = mapped_column(String(8))
    pack_version: Mapped[int] = mapped_column(Integer)


class RuleHit(Base):
    """A rule whose condition held for the item, enforce or shadow."""

    __tablename__ = "policy_rule_hits"
    __table_args__ = (Index("ix_policy_rule_hits_rule", "jurisdiction", "pack_version", "rule_id"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True)
    evaluation_id: Mapped[int] = mapped_column(ForeignKey("policy_evaluations.id", ondelete="CASCADE"), index=True)
    item_id: Mapped[int] = mapped_column(ForeignKey("items.id", ondelete="CASCADE"))
    jurisdiction: Mapped[str] = mapped_column(String(8))
    pack_version: Mapped[int] = mapped_column(Integer)
    rule_id: Mapped[str] = mapped_column(String(80))
    mode: Mapped[str] = mapped_column(String(8))  # enforce | shadow

    @property
    def ref(self) -> str:
        return f"{self.jurisdiction}@{self.pack_version}:{self.rule_id}"

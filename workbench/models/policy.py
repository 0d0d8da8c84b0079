"""Policy packs: one per jurisdiction, with editable drafts and immutable published versions.

The version in force for a jurisdiction is the one with the highest number. Rolling back
publishes an older version's text again under a new number, so history only ever grows and
every evaluation and decision can name the exact text it ran.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Integer, String, Text, UniqueConstraint, event
from sqlalchemy.orm import Mapped, mapped_column, relationship

from workbench.models.base import Base, UTCDateTime, utcnow


class PolicyPack(Base):
    __tablename__ = "policy_packs"

    id: Mapped[int] = mapped_column(primary_key=True)
    jurisdiction: Mapped[str] = mapped_column(String(8), unique=True)  # GLOBAL, EU or ISO 3166-1 alpha-2
    title: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    versions = relationship("PolicyVersion", back_populates="pack", order_by="PolicyVersion.number", lazy="noload")


class PolicyVersion(Base):
    """A published, immutable pack text. `number` is what rule references call the version."""

    __tablename__ = "policy_versions"
    __table_args__ = (UniqueConstraint("pack_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("policy_packs.id"), index=True)
    # Copied from the pack so the "what is in force" check is one query without a join.
    jurisdiction: Mapped[str] = mapped_column(String(8), index=True)
    number: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")
    published_by: Mapped[str] = mapped_column(String(64))  # "user:7", "system:policy-seed"
    published_by_user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    rollback_of: Mapped[int | None] = mapped_column(Integer)  # the number whose text was republished

    pack = relationship("PolicyPack", back_populates="versions")

    @property
    def label(self) -> str:
        return f"{self.jurisdiction}@{self.number}"


class PolicyDraft(Base):
    """Work in progress. May be invalid; only a valid draft can be published."""

    __tablename__ = "policy_drafts"

    id: Mapped[int] = mapped_column(primary_key=True)
    pack_id: Mapped[int] = mapped_column(ForeignKey("policy_packs.id"), index=True)
    base_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_versions.id"))
    text: Mapped[str] = mapped_column(Text)
    sha256: Mapped[str] = mapped_column(String(64))
    valid: Mapped[bool] = mapped_column(Boolean, default=False)
    error_count: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Set once published; a published draft is read-only.
    published_version_id: Mapped[int | None] = mapped_column(ForeignKey("policy_versions.id"))

    pack = relationship("PolicyPack")
    base_version = relationship("PolicyVersion", foreign_keys=[base_version_id])
    published_version = relationship("PolicyVersion", foreign_keys=[published_version_id])

    @property
    def is_open(self) -> bool:
        return self.published_version_id is None


class PublishedVersionIsImmutable(RuntimeError):
    pass


@event.listens_for(PolicyVersion, "before_update")
def _refuse_update(mapper, connection, target):
    raise PublishedVersionIsImmutable(f"published policy version {target.id} cannot be changed")


@event.listens_for(PolicyVersion, "before_delete")
def _refuse_delete(mapper, connection, target):
    raise PublishedVersionIsImmutable(f"published policy version {target.id} cannot be deleted")

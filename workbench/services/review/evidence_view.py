"""What the item and case pages show about evidence: the item's holds (active, ended, released)
and its reports to authorities, with the names of the people who placed or recorded them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.models import AuthorityReport, EvidenceHold, Item, User
from workbench.models.base import utcnow
from workbench.services.access.permissions import can_see_item
from workbench.services.privacy.holds import holds_of_item
from workbench.services.review.authority_reports import AUTHORITIES, reports_of_item


class ItemNotFound(LookupError):
    """No such item, or one outside the user's scope (the same answer for both)."""


@dataclass
class EvidenceView:
    item: Item
    holds: list[EvidenceHold]
    reports: list[AuthorityReport]
    now: datetime
    usernames: dict[int, str] = field(default_factory=dict)

    @property
    def active(self) -> list[EvidenceHold]:
        return [hold for hold in self.holds if hold.is_active(self.now)]

    @property
    def held_until(self) -> datetime | None:
        return max((hold.ends_at for hold in self.active), default=None)

    @property
    def pending_reports(self) -> list[AuthorityReport]:
        return [report for report in self.reports if report.pending]

    def status(self, hold: EvidenceHold) -> str:
        if hold.released_at is not None:
            return "released"
        return "active" if hold.ends_at > self.now else "ended"

    def who(self, user_id: int | None) -> str:
        return self.usernames.get(user_id, f"user {user_id}") if user_id else "the workbench"

    def reference_label(self, authority: str) -> str:
        duty = AUTHORITIES.get(authority)
        return duty.reference_label if duty else "reference"


def visible_item(session: Session, item_id: int, user) -> Item:
    item = session.get(Item, item_id)
    if item is None or not can_see_item(user, item.country, item.language):
        raise ItemNotFound(f"No item {item_id}.")
    return item


def evidence_view(session: Session, item: Item, now: datetime | None = None) -> EvidenceView:
    holds = holds_of_item(session, item.id)
    reports = reports_of_item(session, item.id)
    ids = {h.placed_by_user_id for h in holds} | {h.released_by_user_id for h in holds}
    ids |= {r.reported_by_user_id for r in reports}
    ids.discard(None)
    names = dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()) if ids else {}
    return EvidenceView(item, holds, reports, now or utcnow(), names)

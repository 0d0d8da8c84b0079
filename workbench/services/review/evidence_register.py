"""The legal team's register: evidence holds across items (filtered, a page at a time) and the
reports to authorities still pending (no reference recorded yet), oldest first.

Both lists keep to the reader's region the way an item's evidence page does
(services/access: `can_see_item` there, its SQL form `scope_clause` here): an item outside the
scope is simply not listed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from workbench.models import AuthorityReport, EvidenceHold, Item, User
from workbench.models.base import utcnow
from workbench.services.access.scope import scope_clause

Scope = tuple[frozenset[str] | None, frozenset[str] | None]  # (countries, languages); None = all
HOLDS_PER_PAGE = 50
PENDING_SHOWN = 100
STATUSES = ("active", "inactive", "all")  # inactive = released or ended


@dataclass(frozen=True)
class HoldQuery:
    status: str = "active"
    origin: str | None = None  # catalogue | manual
    jurisdiction: str | None = None  # the hold's, e.g. "US" or "EU"
    ending_within_days: int | None = None
    page: int = 1


@dataclass
class PendingReport:
    report: AuthorityReport
    age: timedelta

    @property
    def age_label(self) -> str:
        days, hours = self.age.days, self.age.seconds // 3600
        return f"{days} d {hours} h" if days else f"{hours} h {self.age.seconds % 3600 // 60} min"


@dataclass
class EvidenceRegister:
    query: HoldQuery
    holds: list[EvidenceHold]
    has_next: bool
    pending: list[PendingReport]
    pending_total: int
    now: datetime
    usernames: dict[int, str] = field(default_factory=dict)

    def status(self, hold: EvidenceHold) -> str:
        if hold.released_at is not None:
            return "released"
        return "active" if hold.ends_at > self.now else "ended"

    def who(self, user_id: int | None) -> str:
        return self.usernames.get(user_id, f"user {user_id}") if user_id else "the workbench"


def _hold_filters(query: HoldQuery, now: datetime) -> list:
    conditions = []
    active = (EvidenceHold.released_at.is_(None), EvidenceHold.ends_at > now)
    if query.status == "active":
        conditions += active
    elif query.status == "inactive":
        conditions.append(or_(EvidenceHold.released_at.is_not(None), EvidenceHold.ends_at <= now))
    if query.origin:
        conditions.append(EvidenceHold.origin == query.origin)
    if query.jurisdiction:
        conditions.append(EvidenceHold.jurisdiction == query.jurisdiction.upper())
    if query.ending_within_days is not None:
        conditions.append(EvidenceHold.ends_at <= now + timedelta(days=query.ending_within_days))
    return conditions


def find_holds(session: Session, query: HoldQuery, scope: Scope, now: datetime) -> tuple[list[EvidenceHold], bool]:
    """One page of holds, the one ending soonest first; and whether another page follows."""
    in_scope = scope_clause(*scope, Item.country, Item.language)
    rows = list(
        session.scalars(
            select(EvidenceHold)
            .join(Item, Item.id == EvidenceHold.item_id)
            .where(in_scope, *_hold_filters(query, now))
            .order_by(EvidenceHold.ends_at, EvidenceHold.id)
            .offset((query.page - 1) * HOLDS_PER_PAGE)
            .limit(HOLDS_PER_PAGE + 1)
        )
    )
    return rows[:HOLDS_PER_PAGE], len(rows) > HOLDS_PER_PAGE


def pending_reports(session: Session, scope: Scope, now: datetime) -> tuple[list[PendingReport], int]:
    """The oldest pending reports (up to PENDING_SHOWN) and how many are pending in all."""
    where = (AuthorityReport.reference.is_(None), scope_clause(*scope, Item.country, Item.language))
    total = session.scalar(
        select(func.count(AuthorityReport.id)).join(Item, Item.id == AuthorityReport.item_id).where(*where)
    )
    rows = session.scalars(
        select(AuthorityReport)
        .join(Item, Item.id == AuthorityReport.item_id)
        .where(*where)
        .order_by(AuthorityReport.created_at, AuthorityReport.id)
        .limit(PENDING_SHOWN)
    )
    return [PendingReport(report, max(now - report.created_at, timedelta(0))) for report in rows], total or 0


def evidence_register(
    session: Session, query: HoldQuery, scope: Scope, now: datetime | None = None
) -> EvidenceRegister:
    """The register for a reader whose region is `scope` = (countries, languages), as
    services.access.permissions.user_scope gives it."""
    now = now or utcnow()
    holds, has_next = find_holds(session, query, scope, now)
    pending, pending_total = pending_reports(session, scope, now)
    ids = {hold.placed_by_user_id for hold in holds} - {None}
    names = dict(session.execute(select(User.id, User.username).where(User.id.in_(ids))).all()) if ids else {}
    return EvidenceRegister(query, holds, has_next, pending, pending_total, now, names)

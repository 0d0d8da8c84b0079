"""The queues overview: per queue the open cases a user may see, the oldest, and deadlines."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.models import Case, CaseStatus, Item
from workbench.models.base import utcnow
from workbench.services.review.claims import _free, visible_cases

DEFAULT_NEAR_DEADLINE_S = 3600


@dataclass(frozen=True)
class QueueSummary:
    queue: str
    open: int
    free: int  # not claimed (or the claim expired)
    escalated: int
    oldest_at: datetime | None
    past_deadline: int
    near_deadline: int  # due within the "near" window, not yet past
    next_due_at: datetime | None

    @property
    def oldest_age_s(self) -> float | None:
        return (utcnow() - self.oldest_at).total_seconds() if self.oldest_at else None


def queue_overview(
    session: Session, user, *, now: datetime | None = None, near_s: int = DEFAULT_NEAR_DEADLINE_S
) -> list[QueueSummary]:
    """One row per queue with open cases the user may see (their scope, escalations by role)."""
    now = now or utcnow()
    near = now + timedelta(seconds=near_s)

    def one(condition):
        return func.sum(when((condition, 1), else_=0))

    rows = session.execute(
        select(
            Case.queue,
            func.count(),
            one(_free(now)),
            one(Case.escalated.is_(True)),
            func.min(Case.created_at),
            one(Case.due_at < now),
            one((Case.due_at >= now) & (Case.due_at < near)),
            func.min(when((Case.due_at >= now, Case.due_at), else_=None)),
        )
        .join(Item, Item.id == Case.item_id)
        .where(Case.status == CaseStatus.OPEN, visible_cases(user))
        .group_by(Case.queue)
        .order_by(Case.queue)
    ).all()
    session.rollback()
    return [
        QueueSummary(queue, int(total), int(free or 0), int(esc or 0), oldest, int(past or 0), int(soon or 0), next_due)
        for queue, total, free, esc, oldest, past, soon, next_due in rows
    ]


def urgent_cases(
    session: Session, user, *, now: datetime | None = None, near_s: int = DEFAULT_NEAR_DEADLINE_S, limit: int = 50
) -> list[tuple[Case, Item]]:
    """Open cases the user may see that are past or near their deadline, soonest first."""
    now = now or utcnow()
    return list(
        session.execute(
            select(Case, Item)
            .join(Item, Item.id == Case.item_id)
            .where(Case.status == CaseStatus.OPEN, visible_cases(user), Case.due_at < now + timedelta(seconds=near_s))
            .order_by(Case.due_at, Case.id)
            .limit(limit)
        ).all()
    )


def my_cases(session: Session, user, *, now: datetime | None = None) -> list[Case]:
    """Open cases the user holds a claim on (live or held)."""
    now = now or utcnow()
    return list(
        session.scalars(
            select(Case)
            .where(Case.status == CaseStatus.OPEN, Case.claimed_by_user_id == user.id, Case.lease_expires_at > now)
            .order_by(Case.id)
        )
    )

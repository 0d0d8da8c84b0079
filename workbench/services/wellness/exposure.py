"""The exposure log: which items each moderator saw, per UTC day, and how many were graphic.

The review core calls `record_exposure` when it shows an item, `over_budget` before picking
the next case (past WORKBENCH_EXPOSURE_BUDGET graphic items today it prefers non-graphic
queues, and the UI suggests a break). A second look at the same item on the same day is
not counted again. Rows are not audited: they record what a person looked at, not a change
to any case, and the audit log stays for decisions.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session, object_session

from workbench.extensions import db
from workbench.models import ExposureEvent, User
from workbench.models.base import utcnow
from workbench.services.wellness.preferences import content_class_or_other


def _insert_for(session: Session):
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert
    else:
        from sqlalchemy.dialects.sqlite import insert
    return insert


def record_exposure(
    session: Session,
    user_id: int,
    item_id: int,
    content_class: str | None,
    graphic: bool,
    *,
    now: datetime | None = None,
) -> bool:
    """Log that `user_id` saw `item_id`; True if it was new for today. Does not commit: it joins
    the caller's transaction (the case page's), like an audit event."""
    now = now or utcnow()
    insert = _insert_for(session)
    statement = (
        insert(ExposureEvent)
        .values(
            user_id=user_id,
            item_id=item_id,
            day=now.date(),
            content_class=content_class_or_other(content_class),
            graphic=bool(graphic),
            seen_at=now,
        )
        .on_conflict_do_nothing(index_elements=["user_id", "item_id", "day"])
        .returning(ExposureEvent.id)
    )
    return session.execute(statement).scalar_one_or_none() is not None


def _session_for(user: User, session: Session | None) -> Session:
    if session is not None:
        return session
    found = object_session(user)
    if found is None:
        found = db.session
    return found


def exposure_today(user: User, *, session: Session | None = None, now: datetime | None = None) -> int:
    """Graphic items this user saw today (UTC)."""
    day = (now or utcnow()).date()
    return (
        _session_for(user, session).scalar(
            select(func.count())
            .select_from(ExposureEvent)
            .where(ExposureEvent.user_id == user.id, ExposureEvent.day == day, ExposureEvent.graphic.is_(True))
        )
        or 0
    )


def over_budget(user: User, budget: int, *, session: Session | None = None, now: datetime | None = None) -> bool:
    """True once today's graphic items reached `budget` (Settings.exposure_budget; 0 means no limit)."""
    return budget > 0 and exposure_today(user, session=session, now=now) >= budget


@dataclass
class ExposureRow:
    day: date
    user_id: int
    username: str
    graphic: int = 0
    total: int = 0
    graphic_by_class: dict[str, int] = field(default_factory=dict)


def exposure_report(session: Session, *, days: int = 14, now: datetime | None = None) -> list[ExposureRow]:
    """Per moderator per day over the last `days` UTC days, newest day first."""
    since = (now or utcnow()).date() - timedelta(days=max(1, days) - 1)
    graphic = func.sum(case((ExposureEvent.graphic.is_(True), 1), else_=0))
    rows = session.execute(
        select(
            ExposureEvent.day, ExposureEvent.user_id, User.username, ExposureEvent.content_class, graphic, func.count()
        )
        .join(User, User.id == ExposureEvent.user_id)
        .where(ExposureEvent.day >= since)
        .group_by(ExposureEvent.day, ExposureEvent.user_id, User.username, ExposureEvent.content_class)
    )
    report: dict[tuple[date, int], ExposureRow] = {}
    by_class: dict[tuple[date, int], dict[str, int]] = defaultdict(dict)
    for day, user_id, username, content_class, graphic_count, total in rows:
        row = report.setdefault((day, user_id), ExposureRow(day, user_id, username))
        row.graphic += int(graphic_count or 0)
        row.total += int(total)
        if graphic_count:
            by_class[(day, user_id)][content_class] = int(graphic_count)
    for key, row in report.items():
        row.graphic_by_class = by_class[key]
    return sorted(report.values(), key=lambda r: (-r.day.toordinal(), r.username))

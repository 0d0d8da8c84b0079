"""What a moderator does with a case they hold besides deciding it: renew the lease, release,
hold, escalate; and the sweeper's expiry of leases nobody renewed."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import Case, CaseStatus
from workbench.models.base import utcnow
from workbench.services.review.claims import _actor, _guarded_update, _load
from workbench.services.review.errors import ReviewError
from workbench.settings import Settings


def renew_lease(session: Session, case_id: int, user, *, settings: Settings, now: datetime | None = None) -> datetime:
    """Extend a live claim by a full lease. Not audited: it is a heartbeat, not a change of hands."""
    now = now or utcnow()
    expires = now + timedelta(seconds=settings.lease_s)
    case = session.get(Case, case_id)
    if case is not None and case.held_until is not None and case.held_until > expires:
        expires = case.held_until  # renewing never shortens a hold
    _guarded_update(session, case_id, user, now, {"lease_expires_at": expires})
    session.commit()
    return expires


def release(session: Session, case_id: int, user, *, now: datetime | None = None, reason: str | None = None) -> None:
    """Give the case back to its queue (also after the lease expired, if nobody took it)."""
    now = now or utcnow()
    _guarded_update(
        session,
        case_id,
        user,
        now,
        {"claimed_by_user_id": None, "lease_expires_at": None, "held_until": None, "hold_reason": None},
        live=False,
    )
    audit.record(session, _actor(user), "case.released", "case", case_id, reason=reason)
    session.commit()


def hold(
    session: Session,
    case_id: int,
    user,
    reason: str,
    *,
    settings: Settings,
    hours: float = 4.0,
    now: datetime | None = None,
) -> datetime:
    """Keep the claim past the lease (waiting for context), at most `settings.hold_max_s`."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("Say why the case is held.", field="reason")
    seconds = min(max(hours, 0) * 3600, settings.hold_max_s)
    until = now + timedelta(seconds=max(seconds, settings.lease_s))
    _guarded_update(
        session, case_id, user, now, {"held_until": until, "lease_expires_at": until, "hold_reason": reason[:500]}
    )
    audit.record(session, _actor(user), "case.held", "case", case_id, until=until, reason_chars=len(reason))
    session.commit()
    return until


def escalate(
    session: Session, case_id: int, user, reason: str, *, to: str = "senior_moderator", now: datetime | None = None
) -> Case:
    """Send a claimed case to senior moderators (or legal): the claim ends, only they see it."""
    now = now or utcnow()
    reason = (reason or "").strip()
    if not reason:
        raise ReviewError("Say why the case is escalated.", field="reason")
    case = _load(session, case_id, user)
    _guarded_update(
        session,
        case_id,
        user,
        now,
        {
            "escalated": True,
            "escalation_reason": reason[:500],
            "claimed_by_user_id": None,
            "lease_expires_at": None,
            "held_until": None,
            "hold_reason": None,
        },
    )
    case = session.get(Case, case_id, populate_existing=True)
    case.escalations = list(case.escalations or []) + [
        {"to": to, "reason": reason[:500], "by": f"user:{user.id}", "at": now.isoformat()}
    ]
    audit.record(
        session, _actor(user), "case.escalated", "case", case_id, to=to, queue=case.queue, reason_chars=len(reason)
    )
    session.commit()
    return case


def expire_leases(session: Session, *, now: datetime | None = None, limit: int = 1000) -> int:
    """Clear expired claims (the queue overview then counts them as free) with an audit event each.

    Optional housekeeping: claim_next already treats an expired lease as free.
    """
    now = now or utcnow()
    rows = session.execute(
        select(Case.id, Case.claimed_by_user_id)
        .where(Case.status == CaseStatus.OPEN, Case.claimed_by_user_id.is_not(None), Case.lease_expires_at <= now)
        .limit(limit)
    ).all()
    expired = 0
    for case_id, holder in rows:
        result = session.execute(
            update(Case)
            .where(Case.id == case_id, Case.claimed_by_user_id == holder, Case.lease_expires_at <= now)
            .values(claimed_by_user_id=None, lease_expires_at=None, held_until=None, hold_reason=None, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        if result.rowcount == 1:
            expired += 1
            audit.record(
                session, Actor.system("review"), "case.lease_expired", "case", case_id, claimed_by=f"user:{holder}"
            )
    session.commit()
    return expired

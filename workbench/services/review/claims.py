"""Claiming cases: "next case" under a renewable lease, release, hold, escalation.

A claim is the pair (claimed_by_user_id, lease_expires_at) on the case row plus a
`claim_token` bumped on every claim. A case is free when nobody claims it or the lease
has expired: the next "next case" simply takes it (and says so in the audit log), and the
sweeper's `expire_leases` also hands expired claims back with an audit event each.

"Next case" is one statement on PostgreSQL: `UPDATE cases ... FROM (SELECT the most urgent
free visible case ... LIMIT 1 FOR UPDATE SKIP LOCKED) ... RETURNING`, so concurrent
moderators skip each other's rows instead of queueing behind them, and the audit event
commits in the same transaction. SQLite serialises writers (every transaction starts with
BEGIN IMMEDIATE, workbench/database.py), so there the candidate is read and then taken by a
conditional UPDATE in the same transaction: nobody can take it in between. Every other state
change is one conditional UPDATE whose WHERE clause restates the precondition.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, exists, func, literal_column, or_, select, update
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import Appeal, Case, CaseStatus, Decision, ExposureEvent, Item
from workbench.models.base import utcnow
from workbench.services.access.permissions import has_permission, user_scope
from workbench.services.access.scope import scope_clause
from workbench.services.review.errors import CaseClosed, CaseNotFound, LeaseLost, NotAllowed, ReviewError
from workbench.settings import Settings

# Queues whose items count against the exposure budget (docs/wellness.md): past it, "next
# case" tries the other queues first.
GRAPHIC_QUEUES = frozenset({"child_safety", "ncii", "violent_extremism", "violence", "adult_content"})


def _actor(user) -> Actor:
    return Actor.user(user.id)


def _free(now: datetime):
    return or_(Case.claimed_by_user_id.is_(None), Case.lease_expires_at <= now)


def _mine(user, now: datetime):
    return and_(Case.claimed_by_user_id == user.id, Case.lease_expires_at > now)


def visible_cases(user):
    """Conditions on (Case join Item) for the cases this user may see: scope and escalation."""
    countries, languages = user_scope(user)
    conditions = [scope_clause(countries, languages, Item.country, Item.language)]
    if not has_permission(user, "cases.escalated"):
        conditions.append(Case.escalated.is_(False))
    return and_(*conditions)


def _needs_item(user) -> bool:
    """Whether the user's scope restricts by the item's country or language (else no join)."""
    return user_scope(user) != (None, None)


def not_own_appeal(user):
    """An appeal case is never handed to the moderator whose decision it appeals (DSA Art. 20(6))."""
    return ~exists().where(
        Appeal.case_id == Case.id, Decision.id == Appeal.decision_id, Decision.decided_by_user_id == user.id
    )


def can_see_case(session: Session, user, case: Case) -> bool:
    return (
        session.scalar(
            select(Case.id).join(Item, Item.id == Case.item_id).where(Case.id == case.id, visible_cases(user))
        )
        is not None
    )


def _require_decider(user) -> None:
    if not has_permission(user, "cases.decide"):
        raise NotAllowed("Your role cannot claim or decide cases.")


def _load(session: Session, case_id: int, user) -> Case:
    case = session.get(Case, case_id)
    if case is None or not can_see_case(session, user, case):
        raise CaseNotFound(f"No case {case_id} in your queues.")  # the same answer for out of scope
    return case


def current_claim(session: Session, user, *, now: datetime | None = None) -> Case | None:
    """The open case the user is working on (a live, not held, claim), if any."""
    now = now or utcnow()
    return session.scalar(
        select(Case)
        .where(Case.status == CaseStatus.OPEN, _mine(user, now), Case.held_until.is_(None))
        .order_by(Case.id)
        .limit(1)
    )


def _candidate_query(user, now: datetime, queue: str | None, graphic: bool | None):
    """The free cases this user may be handed, most urgent first (ix_cases_open_claim_order)."""
    query = select(Case.id, Case.claimed_by_user_id.label("previous"), Case.claim_token)
    if _needs_item(user):
        query = query.join(Item, Item.id == Case.item_id)
    # The status inline, not a bound parameter: a generic (prepared) plan can then still
    # prove the partial index's predicate.
    query = query.where(
        Case.status == literal_column(f"'{CaseStatus.OPEN}'"), _free(now), visible_cases(user), not_own_appeal(user)
    )
    if queue:
        query = query.where(Case.queue == queue)
    if graphic is False:
        query = query.where(Case.queue.not_in(sorted(GRAPHIC_QUEUES)))
    order = [Case.priority_rank, Case.due_at.asc().nulls_last(), Case.id]
    if has_permission(user, "cases.escalated"):
        order.insert(0, Case.escalated.desc())  # senior moderators take escalations first
    return query.order_by(*order).limit(1)


def _claim_values(user, now: datetime, lease_s: int) -> dict:
    return {
        "claimed_by_user_id": user.id,
        "lease_expires_at": now + timedelta(seconds=lease_s),
        "claim_token": Case.claim_token + 1,
        "held_until": None,
        "hold_reason": None,
        "updated_at": now,
    }


_RETURNING = {"synchronize_session": False, "populate_existing": True}


def _take(session: Session, case_id: int, token: int, user, now: datetime, lease_s: int) -> bool:
    """The conditional UPDATE that claims one particular case: True if this call won it."""
    result = session.execute(
        update(Case)
        .where(
            Case.id == case_id,
            Case.status == CaseStatus.OPEN,
            Case.claim_token == token,
            _free(now),
            not_own_appeal(user),
        )
        .values(**_claim_values(user, now, lease_s))
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def _claim_one(session: Session, user, now: datetime, lease_s: int, queue: str | None, graphic: bool | None):
    """Claim the most urgent free case: (Case, previous claimant) or (None, None)."""
    candidates = _candidate_query(user, now, queue, graphic)
    if session.get_bind().dialect.name == "postgresql":
        candidate = candidates.with_for_update(of=Case, skip_locked=True).subquery("candidate")
        row = session.execute(
            update(Case)
            .where(Case.id == candidate.c.id)
            .values(**_claim_values(user, now, lease_s))
            .returning(Case, candidate.c.previous),
            execution_options=_RETURNING,
        ).first()
        return (row[0], row[1]) if row is not None else (None, None)
    # SQLite: this transaction began with BEGIN IMMEDIATE, so the row cannot change between
    # the SELECT and the UPDATE; the UPDATE still restates the claim it read.
    found = session.execute(candidates).first()
    if found is None:
        return None, None
    case = session.execute(
        update(Case)
        .where(Case.id == found.id, Case.claim_token == found.claim_token, _free(now))
        .values(**_claim_values(user, now, lease_s))
        .returning(Case),
        execution_options=_RETURNING,
    ).scalar_one_or_none()
    return (case, found.previous) if case is not None else (None, None)


def claim_next(
    session: Session,
    user,
    *,
    settings: Settings,
    now: datetime | None = None,
    queue: str | None = None,
    prefer_non_graphic: bool | None = None,
) -> Case | None:
    """The most urgent free case the user may see, claimed for them; None if the queues are empty.

    A user with a live claim gets that case back (one case at a time; held cases excepted).
    Past the exposure budget, non-graphic queues are tried first. `settings` gives the lease and
    the exposure budget. Commits. The case returned
    is detached from the session with the values the claim wrote (no reload after the commit).
    """
    _require_decider(user)
    now = now or utcnow()
    budget = settings.exposure_budget if prefer_non_graphic is None else 0
    mine_id, over = _live_claim_and_budget(session, user, now, budget)
    if mine_id is not None:
        mine = session.get(Case, mine_id)
        if queue is None or mine.queue == queue:
            return mine
    if prefer_non_graphic is None:
        prefer_non_graphic = over
    case = previous = None
    for graphic in (False, None) if prefer_non_graphic else (None,):
        case, previous = _claim_one(session, user, now, settings.lease_s, queue, graphic)
        if case is not None:
            break
    if case is None:
        session.rollback()
        return None
    audit.record(
        session,
        _actor(user),
        "case.claimed",
        "case",
        case.id,
        queue=case.queue,
        lease_expires_at=case.lease_expires_at,
        claim=case.claim_token,
        expired_claim_of=previous if previous not in (None, user.id) else None,
    )
    session.expunge(case)  # nothing pending on it: the caller reads the claimed values without a reload
    session.commit()
    return case


def _live_claim_and_budget(session: Session, user, now: datetime, budget: int) -> tuple[int | None, bool]:
    """One round trip: the case the user is working on, and whether they are past today's
    exposure budget (docs/wellness.md; the count exposure.over_budget makes; 0: not checked)."""
    mine = (
        select(Case.id)
        .where(Case.status == CaseStatus.OPEN, _mine(user, now), Case.held_until.is_(None))
        .order_by(Case.id)
        .limit(1)
        .scalar_subquery()
    )
    if budget <= 0:
        return session.scalar(select(mine)), False
    seen = (
        select(func.count())
        .select_from(ExposureEvent)
        .where(ExposureEvent.user_id == user.id, ExposureEvent.day == now.date(), ExposureEvent.graphic.is_(True))
        .scalar_subquery()
    )
    mine_id, graphic_seen = session.execute(select(mine, seen)).one()
    return mine_id, (graphic_seen or 0) >= budget


def _guarded_update(session: Session, case_id: int, user, now: datetime, values: dict, *, live: bool = True) -> None:
    """Apply `values` only if the user holds the claim (a live one unless live=False)."""
    claim = _mine(user, now) if live else Case.claimed_by_user_id == user.id
    result = session.execute(
        update(Case)
        .where(Case.id == case_id, Case.status == CaseStatus.OPEN, claim)
        .values(updated_at=now, **values)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        session.rollback()
        raise lease_lost(session, case_id, user, now)


def lease_lost(session: Session, case_id: int, user, now: datetime) -> ReviewError:
    """The clearest explanation of why the user no longer holds the case."""
    case = session.get(Case, case_id, populate_existing=True)
    if case is None:
        return CaseNotFound(f"No case {case_id}.")
    if not case.is_open:
        return CaseClosed(f"Case {case_id} was already decided or closed; nothing was saved.")
    if case.claimed_by_user_id not in (None, user.id) and case.lease_expires_at and case.lease_expires_at > now:
        return LeaseLost(f"Your claim on case {case_id} expired and another moderator has taken it; nothing was saved.")
    if case.claimed_by_user_id == user.id:
        return LeaseLost(
            f"Your claim on case {case_id} expired at {case.lease_expires_at:%H:%M:%S} UTC; "
            "nothing was saved. Claim it again to decide it."
        )
    return LeaseLost(f"You do not hold case {case_id} (it was released or escalated); nothing was saved.")


def claim_case(session: Session, case_id: int, user, *, settings: Settings, now: datetime | None = None) -> Case:
    """Claim one particular case (opened from a queue list) if it is free, for `settings.lease_s`. Commits."""
    _require_decider(user)
    now = now or utcnow()
    case = _load(session, case_id, user)
    if holds_live_claim(case, user, now):
        return case
    if not case.is_open:
        raise CaseClosed(f"Case {case_id} was already decided or closed.")
    if session.scalar(select(Case.id).where(Case.id == case_id, ~not_own_appeal(user))) is not None:
        raise NotAllowed(
            f"Case {case_id} is an appeal against your own decision: another senior moderator must review it."
        )
    if not _take(session, case.id, case.claim_token, user, now, settings.lease_s):
        session.rollback()
        raise LeaseLost(f"Case {case_id} is being reviewed by another moderator.")
    previous = case.claimed_by_user_id
    case = session.get(Case, case_id, populate_existing=True)
    audit.record(
        session,
        _actor(user),
        "case.claimed",
        "case",
        case.id,
        queue=case.queue,
        lease_expires_at=case.lease_expires_at,
        claim=case.claim_token,
        expired_claim_of=previous if previous not in (None, user.id) else None,
    )
    session.commit()
    return case


def holds_live_claim(case: Case, user, now: datetime | None = None) -> bool:
    now = now or utcnow()
    return (
        case.is_open
        and case.claimed_by_user_id == user.id
        and case.lease_expires_at is not None
        and case.lease_expires_at > now
    )

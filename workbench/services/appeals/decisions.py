"""Deciding appeals: a senior moderator who did not decide the original upholds it, or overturns it
and records a decision that restores the item; the webhook tells the platform either way."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import APPEAL_OUTCOMES, Appeal, AppealStatus, Case, CaseStatus, Decision, DecisionReversal, Item
from workbench.models.base import utcnow
from workbench.services.access.permissions import can_see_item, has_permission
from workbench.services.appeals.complaints import (
    RESTORE_OUTCOME,
    AppealAlreadyDecided,
    AppealClaimedByOther,
    AppealError,
    AppealNotFound,
    NotAllowed,
    NotAppealable,
    OriginalDeciderRefused,
    is_reversed,
)
from workbench.services.review.errors import ReviewError
from workbench.services.validation import ValidationFailed
from workbench.services.webhooks.delivery import decision_data, queue_delivery
from workbench.settings import Settings


@dataclass(frozen=True)
class AppealDecision:
    appeal: Appeal
    restore_decision: Decision | None  # set on overturn


def appeal_for_case(session: Session, case_id: int) -> Appeal | None:
    return session.scalar(select(Appeal).where(Appeal.case_id == case_id))


def check_can_decide(session: Session, user, appeal: Appeal) -> None:
    """Who may decide this appeal: the permission, the user's region, never the original decider."""
    if not has_permission(user, "appeals.decide"):
        raise NotAllowed("deciding appeals needs the appeals.decide permission")
    item = session.get(Item, appeal.item_id)
    if not can_see_item(user, item.country, item.language):
        raise AppealNotFound("no such appeal in your jurisdictions and languages")
    original = session.get(Decision, appeal.decision_id)
    if original.decided_by_user_id is not None and original.decided_by_user_id == user.id:
        raise OriginalDeciderRefused("you took the appealed decision: another senior moderator must decide the appeal")


def _restore(session: Session, appeal: Appeal, original: Decision, user, now: datetime) -> Decision:
    restore = Decision(
        item_id=original.item_id,
        case_id=appeal.case_id,
        evaluation_id=original.evaluation_id,
        automated=False,
        outcome=RESTORE_OUTCOME,
        actions=[
            {
                "action": RESTORE_OUTCOME,
                "appeal_id": appeal.id,
                "reverses_decision_id": original.id,
                "rule": original.rule_ref,
            }
        ],
        visibility="visible",
        territorial_scope=None,
        rule_jurisdiction=original.rule_jurisdiction,
        rule_pack_version=original.rule_pack_version,
        rule_id=original.rule_id,
        statement_of_reasons=None,
        decided_by=f"user:{user.id}",
        decided_by_user_id=user.id,
        decided_at=now,
        internal_note=appeal.note,
        user_explanation=appeal.reply,
    )
    session.add(restore)
    session.flush()
    session.add(
        DecisionReversal(
            decision_id=original.id, reversed_by_decision_id=restore.id, appeal_id=appeal.id, reversed_at=now
        )
    )
    return restore


def _close_case(session: Session, appeal: Appeal, user, now: datetime) -> None:
    """Close the appeal's case unless another senior moderator holds a live claim on it."""
    if appeal.case_id is None:
        return
    free_or_mine = or_(
        Case.claimed_by_user_id.is_(None), Case.claimed_by_user_id == user.id, Case.lease_expires_at <= now
    )
    closed = session.execute(
        update(Case)
        .where(Case.id == appeal.case_id, Case.status == CaseStatus.OPEN, free_or_mine)
        .values(
            status=CaseStatus.CLOSED,
            closed_at=now,
            updated_at=now,
            claimed_by_user_id=None,
            lease_expires_at=None,
            held_until=None,
        )
        .execution_options(synchronize_session=False)
    )
    if closed.rowcount != 1:
        raise AppealClaimedByOther("another senior moderator is working on this appeal; nothing was saved")


def decide_appeal(
    session: Session, appeal_id: int, user, outcome: str, *, reply: str, note: str | None = None
) -> AppealDecision:
    """Decide and commit. Raises a named AppealError when refused (nothing is written then)."""
    if outcome not in APPEAL_OUTCOMES:
        raise ValidationFailed("invalid_choice", f"outcome must be one of {', '.join(APPEAL_OUTCOMES)}", "outcome")
    if not reply or not reply.strip():
        raise ValidationFailed("missing_field", "the complainant must be told the reasons", "reply")
    try:
        return _decide_locked(session, appeal_id, user, outcome, reply, note)
    except AppealError:
        session.rollback()  # releases the row lock; nothing was written
        raise


def _decide_locked(
    session: Session, appeal_id: int, user, outcome: str, reply: str, note: str | None
) -> AppealDecision:
    appeal = session.get(Appeal, appeal_id, with_for_update=True, populate_existing=True)  # one decision per appeal
    if appeal is None:
        raise AppealNotFound(f"no appeal {appeal_id}")
    check_can_decide(session, user, appeal)
    if not appeal.is_open:
        raise AppealAlreadyDecided(f"appeal {appeal.id} was already decided ({appeal.outcome})")
    # Compare-and-set as well as the row lock: SQLite has no FOR UPDATE, and two deciders at
    # once must not both win.
    won = session.execute(
        update(Appeal)
        .where(Appeal.id == appeal.id, Appeal.status == AppealStatus.OPEN)
        .values(status=AppealStatus.DECIDED)
        .execution_options(synchronize_session=False)
    ).rowcount
    if won != 1:
        raise AppealAlreadyDecided(f"appeal {appeal.id} was decided meanwhile")
    original = session.get(Decision, appeal.decision_id)
    item = session.get(Item, appeal.item_id)
    now = utcnow()
    actor = Actor.user(user.id)
    _close_case(session, appeal, user, now)
    appeal.reply, appeal.note = reply.strip(), (note or "").strip() or None
    restore = None
    if outcome == "overturn":
        if is_reversed(session, original.id):
            raise NotAppealable("the decision has already been reversed")
        restore = _restore(session, appeal, original, user, now)
        audit.record(
            session,
            actor,
            "decision.reversed",
            "decision",
            original.id,
            appeal_id=appeal.id,
            reversed_by_decision_id=restore.id,
            item_id=item.id,
        )
        audit.record(
            session,
            actor,
            "decision.restored",
            "decision",
            restore.id,
            appeal_id=appeal.id,
            item_id=item.id,
            visibility=restore.visibility,
            reverses_decision_id=original.id,
            case_id=appeal.case_id,
        )
    appeal.status, appeal.outcome = AppealStatus.DECIDED, outcome
    appeal.decided_by_user_id, appeal.decided_at = user.id, now
    appeal.outcome_decision_id = restore.id if restore else None
    if restore is not None and appeal.case_id:
        session.execute(
            update(Case)
            .where(Case.id == appeal.case_id)
            .values(closed_by_decision_id=restore.id)
            .execution_options(synchronize_session=False)
        )
    audit.record(
        session,
        actor,
        "appeal.decided",
        "appeal",
        appeal.id,
        outcome=outcome,
        decision_id=original.id,
        restore_decision_id=appeal.outcome_decision_id,
        case_id=appeal.case_id,
        item_id=item.id,
    )
    if appeal.case_id:
        audit.record(session, actor, "case.closed", "case", appeal.case_id, appeal_id=appeal.id, outcome=outcome)
    queue_delivery(session, item, "appeal.decided", f"appeal:{appeal.id}:decided", appeal_webhook_data(appeal, restore))
    session.commit()
    return AppealDecision(appeal, restore)


def appeal_webhook_data(appeal: Appeal, restore: Decision | None) -> dict:
    return {
        "appeal": {
            "id": appeal.id,
            "external_id": appeal.external_id,
            "outcome": appeal.outcome,
            "decided_at": appeal.decided_at,
            "reply": appeal.reply,
        },
        "appealed_decision_id": appeal.decision_id,
        "appealed_decision_reversed": restore is not None,
        # The decision now in force after an overturn, in the shape of the decision.created event.
        "decision": None if restore is None else {**decision_data(restore), "reverses_decision_id": appeal.decision_id},
    }


def guard_appeal_cases(session: Session, decision: Decision, settings: Settings) -> None:
    """A DECISION_HOOKS entry: an appeal case is decided with uphold/overturn (decide_appeal), never
    with the generic case decision, which would bypass the original-decider rule."""
    if decision.case_id is None or decision.outcome == RESTORE_OUTCOME:
        return
    appeal_id = session.scalar(select(Appeal.id).where(Appeal.case_id == decision.case_id))
    if appeal_id is not None:
        session.rollback()
        raise ReviewError(
            f"This case is appeal {appeal_id}: decide it on the appeal page (uphold or overturn); nothing was saved."
        )

"""Appeals (DSA Art. 20 internal complaints): receiving them from the platform, deciding them.

An appeal opens a case in the appeals queue linked to the appealed decision. It is decided by a
senior moderator who is not the original decider: uphold leaves the decision in force; overturn
records a new decision that restores the item (visible, no restriction) and marks the original
reversed. Both write their audit events and queue the "appeal.decided" webhook in the same
transaction; the caller enqueues the delivery job after the commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from policies.vocabulary import PRIORITY_RANK
from workbench import audit
from workbench.audit import Actor
from workbench.models import Appeal, AppealContact, AppealStatus, Case, CaseStatus, Decision, DecisionReversal, Item
from workbench.models.base import utcnow
from workbench.services.appeals.submissions import AppealSubmission
from workbench.services.privacy.pseudonyms import pseudonymise
from workbench.settings import Settings

RESTORE_OUTCOME = "restore"  # the outcome of the decision an overturn records


class AppealError(Exception):
    """Base of the named refusals; `code` is the API error code."""

    code = "appeal_error"
    status = 409


class DecisionNotFound(AppealError):
    code, status = "decision_not_found", 404


class NotAppealable(AppealError):
    code = "not_appealable"


class ReviewInProgress(AppealError):
    code = "review_in_progress"


class IdempotencyConflict(AppealError):
    code = "idempotency_conflict"


class AppealNotFound(AppealError):
    code, status = "appeal_not_found", 404


class AppealAlreadyDecided(AppealError):
    code = "appeal_already_decided"


class OriginalDeciderRefused(AppealError):
    """The person who took the appealed decision may not decide the appeal against it (Art. 20(6))."""

    code, status = "original_decider", 403


class AppealClaimedByOther(AppealError):
    code = "appeal_claimed"


class NotAllowed(AppealError):
    code, status = "forbidden", 403


@dataclass(frozen=True)
class AppealSettings:
    """Appeals' view of the settings: build it with `from_settings` (defaults live in
    workbench/settings/fields.py)."""

    queue: str
    priority: str
    deadline_hours: int
    window_days: int

    @classmethod
    def from_settings(cls, settings: Settings) -> AppealSettings:
        return cls(
            queue=settings.appeals_queue,
            priority=settings.appeal_priority,
            deadline_hours=settings.appeal_deadline_hours,
            window_days=settings.appeal_window_days,
        )


@dataclass(frozen=True)
class AppealReceipt:
    appeal: Appeal
    created: bool


def is_reversed(session: Session, decision_id: int) -> bool:
    return session.get(DecisionReversal, decision_id) is not None


def _appealed_decision(session: Session, client_id: int, submission: AppealSubmission) -> Decision:
    """The decision the appeal is about, from its id or as the item's latest decision.

    A client only ever sees its own items: anyone else's decision is simply not found.
    """
    if submission.decision_id is not None:
        decision = session.get(Decision, submission.decision_id)
        item = session.get(Item, decision.item_id) if decision else None
        if decision is None or item is None or item.client_id != client_id:
            raise DecisionNotFound("no such decision for this API client")
        return decision
    if submission.item_id is not None:
        item = session.get(Item, submission.item_id)
    else:
        item = session.scalar(
            select(Item).where(Item.client_id == client_id, Item.external_id == submission.item_external_id)
        )
    if item is None or item.client_id != client_id:
        raise DecisionNotFound("no such item for this API client")
    reversed_ids = select(DecisionReversal.decision_id)
    decision = session.scalar(
        select(Decision)
        .where(Decision.item_id == item.id, Decision.id.not_in(reversed_ids), Decision.outcome != RESTORE_OUTCOME)
        .order_by(Decision.decided_at.desc(), Decision.id.desc())
        .limit(1)
    )
    if decision is None:
        raise NotAppealable("the item has no decision in force that can be appealed")
    return decision


def _check_appealable(session: Session, decision: Decision, settings: AppealSettings) -> None:
    if decision.outcome == RESTORE_OUTCOME:
        raise NotAppealable(
            "a decision taken on appeal is final inside the platform (out-of-court settlement: Art. 21)"
        )
    if is_reversed(session, decision.id):
        raise NotAppealable("this decision has already been reversed")
    if decision.decided_at < utcnow() - timedelta(days=settings.window_days):
        raise NotAppealable(f"decisions can be appealed for {settings.window_days} days")
    earlier = session.scalar(select(Appeal).where(Appeal.decision_id == decision.id).order_by(Appeal.id).limit(1))
    if earlier is not None:
        raise NotAppealable(
            "this decision has already been appealed"
            + (" and the appeal is being reviewed" if earlier.is_open else " and the appeal was decided")
        )
    open_case = session.scalar(select(Case.id).where(Case.item_id == decision.item_id, Case.status == CaseStatus.OPEN))
    if open_case is not None:
        # One open review per item: the pending review will produce a new decision (and webhook).
        raise ReviewInProgress("the item is under review; appeal the decision that review produces")


def _find(session: Session, client_id: int, external_id: str) -> Appeal | None:
    return session.scalar(select(Appeal).where(Appeal.client_id == client_id, Appeal.external_id == external_id))


def _same_request(appeal: Appeal, submission: AppealSubmission, session: Session, client_id: int) -> bool:
    if submission.decision_id is not None:
        return appeal.decision_id == submission.decision_id
    item = session.get(Item, appeal.item_id)
    return (
        (submission.item_id == item.id)
        if submission.item_id is not None
        else (submission.item_external_id == item.external_id)
    )


def _open_case(session: Session, decision: Decision, settings: AppealSettings, now: datetime) -> Case:
    case = Case(
        item_id=decision.item_id,
        queue=settings.queue,
        priority=settings.priority,
        priority_rank=PRIORITY_RANK[settings.priority],
        status=CaseStatus.OPEN,
        due_at=now + timedelta(hours=settings.deadline_hours),
        deadline={
            "hours": settings.deadline_hours,
            "source": "appeal",
            "citation": "DSA Art. 20(4): complaints handled in a timely manner",
            "rule": decision.rule_ref,
        },
        rule_jurisdiction=decision.rule_jurisdiction,
        rule_pack_version=decision.rule_pack_version,
        rule_id=decision.rule_id,
        jurisdictions=_jurisdictions(session, decision),
        # Escalated: only senior moderators (cases.escalated) are handed appeal cases by "next case".
        escalated=True,
        escalation_reason="appeal (DSA Art. 20)",
        escalations=[{"to": "senior_moderator", "reason": "appeal", "rule": decision.rule_ref}],
        evaluation_id=decision.evaluation_id,
        created_at=now,
        updated_at=now,
    )
    session.add(case)
    return case


def _jurisdictions(session: Session, decision: Decision) -> list:
    """The packs that applied to the item, as its last case recorded them (for region scoping)."""
    earlier = session.scalar(
        select(Case.jurisdictions).where(Case.item_id == decision.item_id).order_by(Case.id.desc()).limit(1)
    )
    if earlier:
        return list(earlier)
    return sorted({"GLOBAL", decision.rule_jurisdiction})


def receive_appeal(
    session: Session, *, client_id: int, submission: AppealSubmission, pseudonym_key: str, settings: AppealSettings
) -> AppealReceipt:
    """Idempotent on (client, external_id): the same appeal sent again returns the first one."""
    existing = _find(session, client_id, submission.external_id)
    if existing is not None:
        if not _same_request(existing, submission, session, client_id):
            raise IdempotencyConflict(f"appeal '{submission.external_id}' was already received for another decision")
        return AppealReceipt(existing, created=False)
    decision = _appealed_decision(session, client_id, submission)
    _check_appealable(session, decision, settings)
    now = utcnow()
    actor = Actor.api_client(client_id)
    try:
        case = _open_case(session, decision, settings, now)
        session.flush()
        appeal = Appeal(
            client_id=client_id,
            external_id=submission.external_id,
            item_id=decision.item_id,
            decision_id=decision.id,
            case_id=case.id,
            explanation=submission.explanation,
            complainant_pseudonym=pseudonymise(pseudonym_key, client_id, submission.complainant_id)
            if submission.complainant_id
            else None,
            status=AppealStatus.OPEN,
            received_at=now,
        )
        if submission.complainant_name or submission.complainant_email:
            appeal.contact = AppealContact(name=submission.complainant_name, email=submission.complainant_email)
        session.add(appeal)
        session.flush()
        audit.record(
            session,
            actor,
            "appeal.received",
            "appeal",
            appeal.id,
            item_id=decision.item_id,
            decision_id=decision.id,
            case_id=case.id,
            has_contact=appeal.contact is not None,
        )
        audit.record(
            session,
            actor,
            "case.opened",
            "case",
            case.id,
            item_id=decision.item_id,
            queue=case.queue,
            priority=case.priority,
            due_at=case.due_at,
            appeal_id=appeal.id,
            decision_id=decision.id,
        )
        session.commit()
    except IntegrityError:
        # A concurrent resend of the same appeal, or a case opened for the item meanwhile.
        session.rollback()
        existing = _find(session, client_id, submission.external_id)
        if existing is None:
            raise ReviewInProgress("the item is under review; appeal the decision that review produces") from None
        return AppealReceipt(existing, created=False)
    return AppealReceipt(appeal, created=True)


def get_appeal(session: Session, client_id: int, appeal_id: int) -> Appeal:
    appeal = session.get(Appeal, appeal_id)
    if appeal is None or appeal.client_id != client_id:
        raise AppealNotFound("no such appeal for this API client")
    return appeal

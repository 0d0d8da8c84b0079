"""QA: a deterministic share of decisions, human and automated, sampled for a second review.

Sampling hashes the decision id (not a random draw), so the same decision is always in or out
of the sample whatever process records it, and tests can rely on it. Human decisions are
sampled by a DECISION_HOOKS entry (services/review/decisions.py), automated ones by the route
stage (services/review/routing.py) calling `sample_decision` in its transaction.

A review records agree/disagree, the reviewer's own outcome and a note; it is refused to the
original decider. Agreement rates per moderator and per rule come from GROUP BY queries.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import and_, case, func, or_, select, update
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import QA_VERDICTS, Decision, Item, QaSample, QaStatus, User
from workbench.models.base import utcnow
from workbench.services.access.permissions import can_see_item, has_permission, user_scope
from workbench.services.access.scope import scope_clause
from workbench.services.appeals.decisions import guard_appeal_cases
from workbench.services.review.decisions import DECISION_HOOKS
from workbench.settings import Settings

QA_CLAIM_S = 600
QA_ACTOR = Actor.system("qa")
MAX_NOTE = 5000


class QaError(Exception):
    status = 409

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message = message
        self.field = field


class QaSampleNotFound(QaError):
    status = 404


class QaNotAllowed(QaError):
    status = 403


class OwnDecisionRefused(QaNotAllowed):
    """A decision is never QA-reviewed by the person who took it."""


class QaAlreadyReviewed(QaError):
    pass


class InvalidQaReview(QaError):
    status = 422


def in_sample(decision_id: int, rate: float) -> bool:
    """Deterministic: the first 8 bytes of SHA-256("qa:<id>") as a fraction of 2**64, below `rate`."""
    if rate <= 0:
        return False
    digest = hashlib.sha256(f"qa:{decision_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64 < rate


def sample_decision(session: Session, decision: Decision, *, rate: float) -> QaSample | None:
    """Put the decision in the QA queue if it falls in the sample (`rate`: Settings.qa_sample_rate).
    Runs in the caller's transaction."""
    if decision.id is None:
        session.flush()
    if not in_sample(decision.id, rate):
        return None
    existing = session.scalar(select(QaSample).where(QaSample.decision_id == decision.id))
    if existing is not None:
        return existing
    sample = QaSample(
        decision_id=decision.id,
        item_id=decision.item_id,
        original_decider_user_id=decision.decided_by_user_id,
        status=QaStatus.PENDING,
        sampled_at=utcnow(),
    )
    session.add(sample)
    session.flush()
    audit.record(
        session,
        QA_ACTOR,
        "qa.sampled",
        "qa_sample",
        sample.id,
        decision_id=decision.id,
        item_id=decision.item_id,
        automated=decision.automated,
    )
    return sample


def sample_human_decision(session: Session, decision: Decision, settings: Settings) -> None:
    """The DECISION_HOOKS entry: a moderator's decision is sampled like an automated one."""
    sample_decision(session, decision, rate=settings.qa_sample_rate)


def install_hooks() -> None:
    """Register QA sampling (and the appeal-case guard) in the review decision hooks, once."""
    for hook in (guard_appeal_cases, sample_human_decision):
        if hook not in DECISION_HOOKS:
            DECISION_HOOKS.append(hook)


def _require_reviewer(user) -> None:
    if not has_permission(user, "qa.review"):
        raise QaNotAllowed("QA reviews need the qa.review permission.")


def _reviewable(user, now: datetime):
    """Pending samples this user may review: in scope, not their own decision, not claimed by another."""
    countries, languages = user_scope(user)
    return and_(
        QaSample.status == QaStatus.PENDING,
        or_(QaSample.original_decider_user_id.is_(None), QaSample.original_decider_user_id != user.id),
        or_(
            QaSample.claimed_by_user_id.is_(None),
            QaSample.claimed_by_user_id == user.id,
            QaSample.claim_expires_at <= now,
        ),
        scope_clause(countries, languages, Item.country, Item.language),
    )


def pending_count(session: Session, user, *, now: datetime | None = None) -> int:
    now = now or utcnow()
    return (
        session.scalar(
            select(func.count(QaSample.id)).join(Item, Item.id == QaSample.item_id).where(_reviewable(user, now))
        )
        or 0
    )


def next_sample(session: Session, user, *, now: datetime | None = None) -> QaSample | None:
    """The oldest sample the user may review, claimed for QA_CLAIM_S (a conditional UPDATE wins it). Commits."""
    _require_reviewer(user)
    now = now or utcnow()
    mine = session.scalar(
        select(QaSample)
        .where(
            QaSample.status == QaStatus.PENDING, QaSample.claimed_by_user_id == user.id, QaSample.claim_expires_at > now
        )
        .limit(1)
    )
    if mine is not None:
        return mine
    for _ in range(5):  # lost races: look again
        candidate = session.scalar(
            select(QaSample.id)
            .join(Item, Item.id == QaSample.item_id)
            .where(_reviewable(user, now))
            .order_by(QaSample.sampled_at, QaSample.id)
            .limit(1)
        )
        if candidate is None:
            session.rollback()
            return None
        won = session.execute(
            update(QaSample)
            .where(QaSample.id == candidate, _free_for(user, now))
            .values(claimed_by_user_id=user.id, claim_expires_at=now + timedelta(seconds=QA_CLAIM_S))
            .execution_options(synchronize_session=False)
        ).rowcount
        if won == 1:
            audit.record(session, Actor.user(user.id), "qa.claimed", "qa_sample", candidate)
            session.commit()
            return session.get(QaSample, candidate, populate_existing=True)
        session.rollback()
    return None


def _free_for(user, now: datetime):
    return and_(
        QaSample.status == QaStatus.PENDING,
        or_(
            QaSample.claimed_by_user_id.is_(None),
            QaSample.claimed_by_user_id == user.id,
            QaSample.claim_expires_at <= now,
        ),
    )


def load_sample(session: Session, sample_id: int, user) -> QaSample:
    """The sample if the user may see it (scope); QaSampleNotFound otherwise (same answer out of scope)."""
    sample = session.get(QaSample, sample_id)
    if sample is None:
        raise QaSampleNotFound(f"No QA sample {sample_id}.")
    item = session.get(Item, sample.item_id)
    if not can_see_item(user, item.country, item.language):
        raise QaSampleNotFound(f"No QA sample {sample_id}.")
    return sample


@dataclass(frozen=True)
class QaReview:
    verdict: str
    reviewer_outcome: str | None
    note: str | None


def review_sample(session: Session, sample_id: int, user, review: QaReview, *, now: datetime | None = None) -> QaSample:
    """Record the second review. Commits; raises a named QaError (nothing written) when refused."""
    _require_reviewer(user)
    now = now or utcnow()
    try:
        sample = load_sample(session, sample_id, user)
        decision = session.get(Decision, sample.decision_id)
        if decision.decided_by_user_id is not None and decision.decided_by_user_id == user.id:
            raise OwnDecisionRefused("You took this decision: another reviewer must QA it.")
        if review.verdict not in QA_VERDICTS:
            raise InvalidQaReview("Choose agree or disagree.", "verdict")
        outcome = (review.reviewer_outcome or "").strip() or None
        if review.verdict == "agree":
            outcome = decision.outcome
        elif outcome is None or outcome == decision.outcome:
            raise InvalidQaReview("Disagreeing: give the outcome you would have decided.", "reviewer_outcome")
        note = (review.note or "").strip() or None
        if note is not None and len(note) > MAX_NOTE:
            raise InvalidQaReview(f"The note is longer than {MAX_NOTE} characters.", "note")
        if review.verdict == "disagree" and note is None:
            raise InvalidQaReview("Disagreeing: say why in the note.", "note")
        won = session.execute(
            update(QaSample)
            .where(QaSample.id == sample.id, _free_for(user, now))
            .values(
                status=QaStatus.REVIEWED,
                reviewer_user_id=user.id,
                verdict=review.verdict,
                reviewer_outcome=outcome,
                note=note,
                reviewed_at=now,
                claimed_by_user_id=None,
                claim_expires_at=None,
            )
            .execution_options(synchronize_session=False)
        ).rowcount
        if won != 1:
            current = session.get(QaSample, sample.id, populate_existing=True)
            if current.status == QaStatus.REVIEWED:
                raise QaAlreadyReviewed(f"QA sample {sample.id} was already reviewed; nothing was saved.")
            raise QaAlreadyReviewed(f"Another reviewer holds QA sample {sample.id}; nothing was saved.")
        audit.record(
            session,
            Actor.user(user.id),
            "qa.reviewed",
            "qa_sample",
            sample.id,
            decision_id=decision.id,
            verdict=review.verdict,
            reviewer_outcome=outcome,
            original_outcome=decision.outcome,
            note_chars=len(note or ""),
        )
        session.commit()
    except QaError:
        session.rollback()
        raise
    return session.get(QaSample, sample_id, populate_existing=True)


@dataclass(frozen=True)
class AgreementRow:
    key: str  # a username, "automated", or a rule "DE:rule.id"
    reviewed: int
    agreed: int

    @property
    def rate(self) -> float:
        return self.agreed / self.reviewed if self.reviewed else 0.0


def _agreed():
    return func.sum(case((QaSample.verdict == "agree", 1), else_=0))


def agreement_by_moderator(session: Session) -> list[AgreementRow]:
    """Reviewed samples per original decider (automated decisions as one row), one GROUP BY."""
    rows = session.execute(
        select(User.username, func.count(QaSample.id), _agreed())
        .select_from(QaSample)
        .outerjoin(User, User.id == QaSample.original_decider_user_id)
        .where(QaSample.status == QaStatus.REVIEWED)
        .group_by(QaSample.original_decider_user_id, User.username)
        .order_by(User.username.nulls_first())
    ).all()
    return [AgreementRow(name or "automated", int(n), int(agreed or 0)) for name, n, agreed in rows]


def agreement_by_rule(session: Session) -> list[AgreementRow]:
    rows = session.execute(
        select(Decision.rule_jurisdiction, Decision.rule_id, func.count(QaSample.id), _agreed())
        .select_from(QaSample)
        .join(Decision, Decision.id == QaSample.decision_id)
        .where(QaSample.status == QaStatus.REVIEWED)
        .group_by(Decision.rule_jurisdiction, Decision.rule_id)
        .order_by(Decision.rule_jurisdiction, Decision.rule_id)
    ).all()
    return [AgreementRow(f"{j}:{rule_id}", int(n), int(agreed or 0)) for j, rule_id, n, agreed in rows]

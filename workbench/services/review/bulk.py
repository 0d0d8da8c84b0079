"""Bulk decisions: from one case, the same decision on every open case with the same hash
match (bank entry) or the same pseudonymous author (of the same platform).

Each target is claimed and decided in its own transaction through `decide_case`: its own
Decision, audit events and webhook, exactly as if decided one by one. A target someone
else holds, outside the user's scope, or where the rule does not apply is skipped and
reported, never forced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import Case, CaseStatus, HashMatch, Item
from workbench.models.base import utcnow
from workbench.services.review.claims import _free, _load, _require_decider, _take, visible_cases
from workbench.services.review.decisions import decide_case
from workbench.services.review.errors import ReviewError
from workbench.settings import Settings

BULK_KINDS = ("hash", "author")


@dataclass
class BulkResult:
    decided: list[int] = field(default_factory=list)  # case ids
    skipped: dict[int, str] = field(default_factory=dict)  # case id → why


def bulk_targets(session: Session, case_id: int, user, by: str, *, now: datetime | None = None) -> list[Case]:
    """Other open, free cases the user may see that share the case's bank entries or author."""
    if by not in BULK_KINDS:
        raise ReviewError(f"Bulk works by {' or '.join(BULK_KINDS)}.", field="by")
    now = now or utcnow()
    source = _load(session, case_id, user)
    item = session.get(Item, source.item_id)
    query = (
        select(Case)
        .join(Item, Item.id == Case.item_id)
        .where(Case.status == CaseStatus.OPEN, Case.id != source.id, visible_cases(user), _free(now))
    )
    if by == "author":
        if not item.author_pseudonym or item.erased_at is not None:
            return []
        # Pseudonyms are per platform already; the client check keeps rows of any other scheme apart too.
        query = query.where(Item.client_id == item.client_id, Item.author_pseudonym == item.author_pseudonym)
    else:
        entries = select(HashMatch.entry_id).where(HashMatch.item_id == item.id)
        query = query.where(Case.item_id.in_(select(HashMatch.item_id).where(HashMatch.entry_id.in_(entries))))
    return list(session.scalars(query.order_by(Case.priority_rank, Case.id).limit(500)))


def decide_bulk(
    session: Session,
    case_id: int,
    user,
    *,
    by: str,
    settings: Settings,
    outcome: str,
    rule,
    territorial_scope=None,
    internal_note: str,
    user_explanation: str,
    now: datetime | None = None,
) -> BulkResult:
    """Apply one decision to every bulk target of `case_id` (not to the case itself)."""
    _require_decider(user)
    now = now or utcnow()
    result = BulkResult()
    targets = [(c.id, c.claim_token) for c in bulk_targets(session, case_id, user, by, now=now)]
    session.rollback()
    for target_id, token in targets:
        if not _take(session, target_id, token, user, now, settings.lease_s):
            session.rollback()
            result.skipped[target_id] = "taken by another moderator"
            continue
        audit.record(
            session, Actor.user(user.id), "case.claimed", "case", target_id, bulk_source_case_id=case_id, by=by
        )
        try:
            decide_case(
                session,
                target_id,
                user,
                settings=settings,
                outcome=outcome,
                rule=rule,
                territorial_scope=territorial_scope,
                internal_note=internal_note,
                user_explanation=user_explanation,
                now=now,
                bulk_source_case_id=case_id,
            )
        except ReviewError as exc:
            session.rollback()  # the claim goes too: the case stays free in its queue
            result.skipped[target_id] = exc.message
            continue
        result.decided.append(target_id)
    return result

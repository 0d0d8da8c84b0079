"""Everything the case page shows, gathered in one place (the route only renders it)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench.models import (
    BankEntry,
    Blob,
    Case,
    Decision,
    HashBank,
    HashMatch,
    Item,
    ItemSignal,
    PolicyEvaluation,
    Report,
)
from workbench.models.base import utcnow
from workbench.models.frame_thumbnail import ItemFrameThumbnail
from workbench.services.policy.evaluation import explain_item
from workbench.services.review.claims import GRAPHIC_QUEUES, _load, holds_live_claim
from workbench.services.review.decisions import AllowedRule, allowed_rules
from workbench.services.review.video_view import SAFE_VIDEO_TYPES, stored_frame_numbers, strip_for
from workbench.settings import Settings

# Which wellness content class a queue's media belongs to (docs/wellness.md).
CONTENT_CLASS_BY_QUEUE = {
    "adult_content": "nudity",
    "child_safety": "nudity",
    "ncii": "nudity",
    "violence": "violence",
    "violent_extremism": "violence",
    "hate_speech": "hate",
}
SAFE_IMAGE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp"})
# A mass-reported item can carry tens of thousands of notices: the page lists the newest and
# counts the rest, by source, so an authority order among them is not lost from sight.
CASE_PAGE_REPORTS = 50


@dataclass
class CaseView:
    case: Case
    item: Item
    blob: Blob | None
    signals: list[ItemSignal]
    matches: list[tuple[HashMatch, HashBank, BankEntry]]
    reports: list[Report]  # the newest CASE_PAGE_REPORTS, newest first
    author_history: list[Decision]  # earlier decisions on other items of the same author (same platform)
    decisions: list[Decision]  # decisions on this item
    evaluation: PolicyEvaluation | None
    routing_explanation: list[str]  # the routing rule's condition, line by line (✔/✘)
    rules: list[AllowedRule]
    mine: bool  # the viewer holds a live claim
    report_count: int = 0  # all reports on the item
    report_sources: dict[str, int] = field(default_factory=dict)  # all reports, by source
    video_frames: list[int] = field(default_factory=list)  # frames with a stored thumbnail (video items)
    now: datetime = field(default_factory=utcnow)

    @property
    def reports_not_shown(self) -> int:
        return max(0, self.report_count - len(self.reports))

    @property
    def content_class(self) -> str:
        return CONTENT_CLASS_BY_QUEUE.get(self.case.queue, "other")

    @property
    def graphic(self) -> bool:
        return self.case.queue in GRAPHIC_QUEUES and self.blob is not None

    def video_strip(self) -> list:
        return strip_for(self.item, self.signals, self.video_frames)

    @property
    def seconds_left(self) -> int | None:
        return int((self.case.due_at - self.now).total_seconds()) if self.case.due_at else None

    @property
    def outcomes(self) -> list[str]:
        seen: list[str] = []
        for rule in self.rules:
            seen.extend(o for o in rule.outcomes if o not in seen)
        return seen


def _routing_explanation(session: Session, case: Case, item: Item, settings: Settings) -> list[str]:
    try:
        explained = explain_item(session, item.id, establishments=settings.provider_jurisdictions)
    except Exception:  # noqa: BLE001 - an explanation is a help, never a reason to hide the case
        return []
    for pack in explained.packs:
        for result in pack.results:
            if (result.ref.jurisdiction, result.ref.rule_id) == (case.rule_jurisdiction, case.rule_id):
                return result.explanation.lines() if result.explanation else []
    return []


def case_view(session: Session, case_id: int, user, *, settings: Settings) -> CaseView:
    """Raises CaseNotFound for a case outside the user's scope (the same answer as no case)."""
    case = _load(session, case_id, user)
    item = session.get(Item, case.item_id)
    blob = session.get(Blob, item.blob_sha256) if item.blob_sha256 else None
    signals = list(
        session.scalars(
            select(ItemSignal).where(ItemSignal.item_id == item.id).order_by(ItemSignal.classifier, ItemSignal.label)
        )
    )
    matches = list(
        session.execute(
            select(HashMatch, HashBank, BankEntry)
            .join(HashBank, HashBank.id == HashMatch.bank_id)
            .join(BankEntry, BankEntry.id == HashMatch.entry_id)
            .where(HashMatch.item_id == item.id)
            .order_by(HashMatch.distance)
        ).all()
    )
    reports = list(
        session.scalars(
            select(Report)
            .where(Report.item_id == item.id)
            .order_by(Report.received_at.desc(), Report.id.desc())
            .limit(CASE_PAGE_REPORTS)
        )
    )
    report_sources = dict(
        session.execute(
            select(Report.source, func.count())
            .where(Report.item_id == item.id)
            .group_by(Report.source)
            .order_by(Report.source)
        ).all()
    )
    history = []
    if item.author_pseudonym and item.erased_at is None:
        history = list(
            session.scalars(
                select(Decision)
                .join(Item, Item.id == Decision.item_id)
                .where(
                    Item.client_id == item.client_id,
                    Item.author_pseudonym == item.author_pseudonym,
                    Decision.item_id != item.id,
                )
                .order_by(Decision.decided_at.desc())
                .limit(20)
            )
        )
    decisions = list(session.scalars(select(Decision).where(Decision.item_id == item.id).order_by(Decision.id)))
    evaluation = session.get(PolicyEvaluation, case.evaluation_id) if case.evaluation_id else None
    return CaseView(
        case,
        item,
        blob,
        signals,
        matches,
        reports,
        history,
        decisions,
        evaluation,
        _routing_explanation(session, case, item, settings),
        allowed_rules(session, case, settings=settings),
        holds_live_claim(case, user),
        report_count=sum(report_sources.values()),
        report_sources=report_sources,
        video_frames=_video_frames(session, item),
    )


def _video_frames(session: Session, item: Item) -> list[int]:
    return stored_frame_numbers(session, item.id) if item.kind == "video" and item.blob_sha256 else []


def media_for(session: Session, case_id: int, user) -> Blob | None:
    """The case's blob if the user may see the case; None if there is none."""
    case = _load(session, case_id, user)
    item = session.get(Item, case.item_id)
    if not item.blob_sha256 or item.erased_at is not None:
        return None
    blob = session.get(Blob, item.blob_sha256)
    return blob if blob is not None and blob.purged_at is None else None


def frame_thumbnail(session: Session, case_id: int, user, number: int) -> bytes | None:
    """The stored JPEG of frame `number` of the case's video, for a user who may see the case
    (CaseNotFound otherwise, as for the video itself); None when there is none (yet)."""
    blob = media_for(session, case_id, user)
    if blob is None or blob.mime not in SAFE_VIDEO_TYPES:
        return None
    return session.scalar(
        select(ItemFrameThumbnail.jpeg).where(
            ItemFrameThumbnail.item_id == session.get(Case, case_id).item_id, ItemFrameThumbnail.number == number
        )
    )

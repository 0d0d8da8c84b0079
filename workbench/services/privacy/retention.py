"""Retention: when each item's content may be purged, and purging the items that are due.

An item's content is kept for the default period (WORKBENCH_RETENTION_DAYS) after its last
decision, or after ingest for an item never decided. Evidence holds (services/privacy/holds.py:
the periods the policy catalogue requires, counted from removal, the report to an authority or
the order's receipt, and manual legal holds) keep it until the last unreleased one ends.
Content still in the pipeline or in an open case is never purged.

Purging removes the content and everything that repeats it (services/privacy/content_purge.py: text,
file, content hashes and vPDQ frame hashes, explanations, notes, notices' and appeals' free text
and contact details, outbox bodies) and stamps `items.content_purged_at`; the item row, its
decisions, notices and appeals stay for the figures, and one audit event per item is written in
the same transaction, so the audit chain keeps verifying. Each item is re-planned under its row
lock just before it goes. A file shared by several items goes with the last of them; it is
deleted after the commit, under the blob-store lock, unless the same bytes were sent again.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import Blob, Case, CaseStatus, Decision, EvidenceHold, Item, ItemStatus
from workbench.models.base import utcnow
from workbench.queues import forget_item_jobs
from workbench.services.blobstore import BlobStore
from workbench.services.exports.expiry import expire_exports_about
from workbench.services.privacy.content_purge import delete_released_files, purge_item_content
from workbench.services.privacy.erasure import erase_released_holds
from workbench.services.privacy.retention_leftovers import LeftoverReport, delete_leftover_files
from workbench.settings import Settings

RETENTION_ACTOR = Actor.system("retention")


@dataclass(frozen=True)
class RetentionSettings:
    default_days: int
    batch_size: int

    @classmethod
    def from_settings(cls, settings: Settings) -> RetentionSettings:
        return cls(default_days=settings.retention_days, batch_size=settings.retention_batch)


@dataclass(frozen=True)
class Hold:
    until: datetime
    source: str  # what imposed it: "hold 7: US/csam_report (rule US@1:us.ncmec.csam-report): ..."
    citation: str  # the legal source, from the catalogue


@dataclass
class ItemPlan:
    item_id: int
    basis: str  # "last decision" or "ingest"
    basis_at: datetime
    default_until: datetime
    holds: list[Hold] = field(default_factory=list)
    pending: str | None = None  # why it cannot be scheduled yet (open case, still in the pipeline)

    @property
    def purge_after(self) -> datetime | None:
        if self.pending:
            return None
        return max([self.default_until] + [hold.until for hold in self.holds])

    def is_due(self, now: datetime) -> bool:
        return self.purge_after is not None and self.purge_after <= now

    @property
    def binding_hold(self) -> Hold | None:
        """The hold that sets the date, if one outlasts the default period."""
        longest = max(self.holds, key=lambda hold: hold.until, default=None)
        return longest if longest is not None and longest.until > self.default_until else None


@dataclass
class RetentionReport:
    dry_run: bool
    checked: int = 0
    purged: list[ItemPlan] = field(default_factory=list)
    skipped: int = 0  # due when planned, no longer due (or gone) under the lock
    files_deleted: int = 0
    exports_expired: list[int] = field(default_factory=list)
    leftovers: LeftoverReport | None = None  # when the round also swept earlier purges' files


def plan_items(session: Session, items: list, settings: RetentionSettings) -> list[ItemPlan]:
    """The retention plan of each item (rows with id, created_at, status), from a few set-based
    queries over the batch."""
    item_ids = [row.id for row in items]
    last_decision: dict[int, datetime] = {}
    open_cases: set[int] = set()
    holds: dict[int, list[EvidenceHold]] = defaultdict(list)
    if item_ids:
        last_decision = dict(
            session.execute(
                select(Decision.item_id, func.max(Decision.decided_at))
                .where(Decision.item_id.in_(item_ids))
                .group_by(Decision.item_id)
            ).all()
        )
        open_cases = set(
            session.scalars(select(Case.item_id).where(Case.item_id.in_(item_ids), Case.status == CaseStatus.OPEN))
        )
        # Ended holds count too: the plan's date is the latest end, whether or not it has passed.
        for hold in session.scalars(
            select(EvidenceHold).where(EvidenceHold.item_id.in_(item_ids), EvidenceHold.released_at.is_(None))
        ):
            holds[hold.item_id].append(hold)
    default = timedelta(days=settings.default_days)
    plans = []
    for row in items:
        decided_at = last_decision.get(row.id)
        if decided_at is not None:
            # max() in SQL loses the zone on SQLite; the column type restores it for rows only.
            decided_at = decided_at if decided_at.tzinfo else decided_at.replace(tzinfo=UTC)
            plan = ItemPlan(row.id, "last decision", decided_at, decided_at + default)
        else:
            plan = ItemPlan(row.id, "ingest", row.created_at, row.created_at + default)
        plan.holds = [Hold(hold.ends_at, f"hold {hold.id}: {hold.reason}", hold.citation) for hold in holds[row.id]]
        if row.status not in ItemStatus.FINAL:
            plan.pending = f"item {row.id} is still in the pipeline"
        elif row.id in open_cases:
            plan.pending = f"item {row.id} has an open case"
        plans.append(plan)
    return plans


def iter_plans(
    session: Session, settings: RetentionSettings, *, created_before: datetime | None = None
) -> Iterator[ItemPlan]:
    """Plans of every item whose content is still stored (received before `created_before`),
    in keyset batches."""
    after = 0
    while True:
        query = select(Item.id, Item.created_at, Item.status).where(
            Item.content_purged_at.is_(None), Item.erased_at.is_(None), Item.id > after
        )
        if created_before is not None:
            query = query.where(Item.created_at <= created_before)
        items = session.execute(query.order_by(Item.id).limit(settings.batch_size)).all()
        if not items:
            return
        yield from plan_items(session, items, settings)
        after = items[-1].id


def due_plans(session: Session, settings: RetentionSettings, now: datetime) -> Iterator[ItemPlan]:
    # Content is kept at least the default period after ingest, so younger items are skipped.
    for plan in iter_plans(session, settings, created_before=now - timedelta(days=settings.default_days)):
        if plan.is_due(now):
            yield plan


def run_retention(
    session: Session,
    blob_store: BlobStore,
    settings: RetentionSettings,
    *,
    now: datetime | None = None,
    dry_run: bool = False,
    actor: Actor = RETENTION_ACTOR,
    limit: int | None = None,
    export_dir: str | Path | None = None,
) -> RetentionReport:
    """Purge every item that is due (at most `limit`). A dry run only reports them. With
    `export_dir`, finished exports that may repeat the purged content are expired too."""
    now = now or utcnow()
    report = RetentionReport(dry_run=dry_run)
    chunk: list[int] = []
    purged_ids: list[int] = []

    def purge_chunk() -> None:
        session.rollback()  # planning only read; each purge is its own short transaction
        for item_id in chunk:
            report.checked += 1
            if dry_run:
                report.purged.append(plan_for(session, item_id, settings))
                session.rollback()
                continue
            plan, sha256 = purge_item(session, item_id, settings, now=now, actor=actor)
            if plan is None:
                report.skipped += 1
                continue
            report.purged.append(plan)
            purged_ids.append(item_id)
            report.files_deleted += delete_released_files(session, blob_store, [sha256] if sha256 else [])
        chunk.clear()

    found = 0
    # Purge a batch as soon as it is planned: memory stays flat however many items are due.
    for plan in due_plans(session, settings, now):
        chunk.append(plan.item_id)
        found += 1
        if len(chunk) >= settings.batch_size:
            purge_chunk()
        if limit is not None and found >= limit:
            break
    purge_chunk()
    if purged_ids:
        if export_dir is not None:
            report.exports_expired = expire_exports_about(
                session, export_dir, purged_ids, reason="retention", actor=actor
            )
        from flask import has_app_context

        if has_app_context():
            forget_item_jobs(purged_ids)
    return report


def plan_for(session: Session, item_id: int, settings: RetentionSettings) -> ItemPlan | None:
    row = session.execute(select(Item.id, Item.created_at, Item.status).where(Item.id == item_id)).first()
    return plan_items(session, [row], settings)[0] if row is not None else None


def purge_item(
    session: Session, item_id: int, settings: RetentionSettings, *, now: datetime, actor: Actor = RETENTION_ACTOR
) -> tuple[ItemPlan | None, str | None]:
    """Re-plan under the item's row lock; if still due, purge its content, audit and commit.
    Returns the plan (None: not due any more) and the file to delete after the commit."""
    try:
        item = session.scalar(select(Item).where(Item.id == item_id).with_for_update())
        if item is None or item.content_purged_at is not None or item.erased_at is not None:
            session.rollback()
            return None, None
        plan = plan_items(session, [item], settings)[0]
        if not plan.is_due(now):
            session.rollback()
            return None, None
        had_file = item.blob_sha256 is not None
        sha256 = purge_item_content(session, item, third_parties=True)
        item.content_purged_at = utcnow()
        audit.record(
            session,
            actor,
            "item.content_purged",
            "item",
            item.id,
            reason="retention",
            basis=plan.basis,
            purge_after=plan.purge_after,
            had_file=had_file,
            holds_ended=[hold.source for hold in plan.holds],
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    return plan, sha256


def case_content_purged_at(session: Session, case_id: int) -> datetime | None:
    """When retention purged the content of a case's item (None: not purged). Files purged before
    items were purged whole still say so through their blob row."""
    row = session.execute(
        select(Item.content_purged_at, Blob.purged_at)
        .join(Case, Case.item_id == Item.id)
        .outerjoin(Blob, Blob.sha256 == Item.blob_sha256)
        .where(Case.id == case_id)
    ).first()
    return (row[0] or row[1]) if row is not None else None


def run_retention_round(
    session: Session,
    settings: Settings,
    *,
    dry_run: bool = False,
    limit: int | None = None,
    now: datetime | None = None,
):
    """One retention round with the app's settings (`flask retention run` and the sweeper): first
    the erasure requests an evidence hold had postponed, then the purge, then files whose delete
    failed after an earlier purge."""
    blob_store = BlobStore(settings.blob_dir)
    export_dir = settings.export_dir
    if not dry_run:
        erase_released_holds(session, actor=RETENTION_ACTOR, blob_store=blob_store, export_dir=export_dir, now=now)
    report = run_retention(
        session,
        blob_store,
        RetentionSettings.from_settings(settings),
        now=now,
        dry_run=dry_run,
        limit=limit,
        export_dir=None if dry_run else export_dir,
    )
    if not dry_run:
        report.leftovers = delete_leftover_files(session, blob_store)
    return report

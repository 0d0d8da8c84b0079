"""Retention: when each stored file (blob) may be purged, and purging the ones that are due.

A blob is kept for the default period (WORKBENCH_RETENTION_DAYS) after the last decision on
the items that use it, or after ingest for items never decided. Evidence holds run longer:
a decision that actioned content under a rule whose content class carries a retention period
in the policy catalogue (NetzDG 10 weeks, TCO Regulation 6 months, 18 U.S.C. 2258A one year,
see policies/catalogue/jurisdictions.yaml) keeps the blob until that period after the decision
ends; a match in a CSAM or terrorism hash bank holds it from ingest. Content still in the
pipeline or in an open case is never purged.

Purging deletes the bytes and stamps `blobs.purged_at`; the row, the item and its content
hashes stay, and one audit event per item is written in the same transaction, so the audit
chain keeps verifying. Each blob is re-planned under its blob-store lock just before it goes,
so an upload of the same bytes racing the purge either revives it or keeps it.
"""
from __future__ import annotations

import logging
import re
from calendar import monthrange
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Iterator

from sqlalchemy import select
from sqlalchemy.orm import Session

from policies.catalogue import Retention, default_catalogue
from workbench import audit
from workbench.audit import Actor
from workbench.models import Blob, Case, CaseStatus, Decision, HashBank, HashMatch, Item, ItemStatus, PolicyVersion
from workbench.models.base import utcnow
from workbench.services.blobstore import BlobStore
from workbench.services.retention_leftovers import LeftoverReport

log = logging.getLogger(__name__)
RETENTION_ACTOR = Actor.system("retention")
_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
# Hash-bank kinds whose matches are evidence, and the catalogue class that says for how long.
BANK_HOLDS = {"csam": ("US", "csam_report"), "terrorism": ("EU", "terrorist_content_removal_order")}


@dataclass(frozen=True)
class RetentionSettings:
    default_days: int
    batch_size: int = 500

    @classmethod
    def from_config(cls, config) -> "RetentionSettings":
        return cls(default_days=int(config["WORKBENCH_RETENTION_DAYS"]),
                   batch_size=int(config["WORKBENCH_RETENTION_BATCH"]))


@dataclass(frozen=True)
class Hold:
    until: datetime
    source: str     # what imposed it: "decision 12 under DE@1:de.netzdg.complaint" or "csam hash-bank match"
    citation: str   # the legal source, from the catalogue


@dataclass
class BlobPlan:
    sha256: str
    item_ids: list[int]
    basis: str                      # "last decision", "ingest" or "blob stored" (no item uses it)
    basis_at: datetime
    default_until: datetime
    holds: list[Hold] = field(default_factory=list)
    pending: str | None = None      # why it cannot be scheduled yet (open case, still in the pipeline)

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
    purged: list[BlobPlan] = field(default_factory=list)
    skipped: int = 0  # due when planned, no longer due (or gone) under the lock
    leftovers: LeftoverReport | None = None  # when the round also swept earlier purges' files


def add_period(start: datetime, period: str) -> datetime:
    """Calendar arithmetic for the catalogue's ISO 8601 periods (P10W, P6M, P1Y, P180D)."""
    match = _DURATION.match(period)
    if not match:
        raise ValueError(f"not an ISO 8601 period: {period!r}")
    years, months, weeks, days = (int(x or 0) for x in match.groups())
    month_index = start.month - 1 + months + 12 * years
    year, month = start.year + month_index // 12, month_index % 12 + 1
    moved = start.replace(year=year, month=month, day=min(start.day, monthrange(year, month)[1]))
    return moved + timedelta(weeks=weeks, days=days)


class RuleRetentions:
    """(jurisdiction, pack version, rule id) -> the rule's evidence retention, memoised per run."""

    def __init__(self, session: Session):
        self.session = session
        self._memo: dict[tuple[str, int, str], tuple[Retention, str] | None] = {}

    def get(self, jurisdiction: str, version: int, rule_id: str) -> tuple[Retention, str] | None:
        key = (jurisdiction, int(version), rule_id)
        if key not in self._memo:
            self._memo[key] = self._load(*key)
        return self._memo[key]

    def _load(self, jurisdiction: str, version: int, rule_id: str) -> tuple[Retention, str] | None:
        from workbench.services.policy_runtime import compiled_pack
        row = self.session.execute(select(PolicyVersion.text, PolicyVersion.sha256).where(
            PolicyVersion.jurisdiction == jurisdiction, PolicyVersion.number == version)).first()
        if row is None:
            return None
        try:
            rule = compiled_pack(row.text, row.sha256, str(version)).rule(rule_id)
        except KeyError:
            return None
        if rule.retention is None:
            return None
        content_class = rule.content_class
        return rule.retention, f"{content_class.jurisdiction}/{content_class.name}" if content_class else ""


def _decision_rule_refs(decision) -> set[tuple[str, int, str]]:
    refs = {(decision.rule_jurisdiction, int(decision.rule_pack_version), decision.rule_id)}
    for action in decision.actions or []:
        rule = action.get("rule") if isinstance(action, dict) else None
        if isinstance(rule, dict) and action.get("superseded_by") is None:
            try:
                refs.add((str(rule["jurisdiction"]), int(rule["pack_version"]), str(rule["rule_id"])))
            except (KeyError, TypeError, ValueError):
                continue
    return refs


def plan_blobs(session: Session, blobs: list[Blob], settings: RetentionSettings,
               rules: RuleRetentions | None = None) -> list[BlobPlan]:
    """The retention plan of each blob, from a few set-based queries over the batch."""
    rules = rules or RuleRetentions(session)
    shas = [blob.sha256 for blob in blobs]
    items = session.execute(select(Item.id, Item.blob_sha256, Item.created_at, Item.status)
                            .where(Item.blob_sha256.in_(shas))).all() if shas else []
    item_ids = [row.id for row in items]
    decisions: dict[int, list] = defaultdict(list)
    open_cases: set[int] = set()
    bank_kinds: dict[int, set[str]] = defaultdict(set)
    if item_ids:
        for decision in session.execute(select(
                Decision.id, Decision.item_id, Decision.decided_at, Decision.visibility, Decision.actions,
                Decision.rule_jurisdiction, Decision.rule_pack_version, Decision.rule_id)
                .where(Decision.item_id.in_(item_ids))).all():
            decisions[decision.item_id].append(decision)
        open_cases = set(session.scalars(select(Case.item_id).where(Case.item_id.in_(item_ids),
                                                                    Case.status == CaseStatus.OPEN)))
        for item_id, kind in session.execute(select(HashMatch.item_id, HashBank.kind)
                                             .join(HashBank, HashBank.id == HashMatch.bank_id)
                                             .where(HashMatch.item_id.in_(item_ids))).all():
            bank_kinds[item_id].add(kind)
    by_blob: dict[str, list] = defaultdict(list)
    for row in items:
        by_blob[row.blob_sha256].append(row)
    default = timedelta(days=settings.default_days)
    plans = []
    for blob in blobs:
        rows = by_blob.get(blob.sha256, [])
        if not rows:
            plans.append(BlobPlan(blob.sha256, [], "blob stored", blob.created_at, blob.created_at + default))
            continue
        plan = None
        for row in rows:
            item_plan = _item_plan(blob.sha256, row, decisions[row.id], bank_kinds[row.id], default, rules)
            if row.status not in ItemStatus.FINAL:
                item_plan.pending = f"item {row.id} is still in the pipeline"
            elif row.id in open_cases:
                item_plan.pending = f"item {row.id} has an open case"
            plan = item_plan if plan is None else _merge(plan, item_plan)
        plans.append(plan)
    return plans


def _item_plan(sha256: str, item, decisions: list, bank_kinds: set[str], default: timedelta,
               rules: RuleRetentions) -> BlobPlan:
    if decisions:
        basis, basis_at = "last decision", max(decision.decided_at for decision in decisions)
    else:
        basis, basis_at = "ingest", item.created_at
    plan = BlobPlan(sha256, [item.id], basis, basis_at, basis_at + default)
    for decision in decisions:
        if decision.visibility == "visible":
            continue  # nothing was removed or restricted: no evidence duty
        for jurisdiction, version, rule_id in sorted(_decision_rule_refs(decision)):
            found = rules.get(jurisdiction, version, rule_id)
            if found:
                retention, content_class = found
                plan.holds.append(Hold(add_period(decision.decided_at, retention.period),
                                       f"decision {decision.id} under {jurisdiction}@{version}:{rule_id} "
                                       f"({content_class})", retention.citation))
    catalogue = default_catalogue()
    for kind in sorted(bank_kinds):
        if kind in BANK_HOLDS:
            content_class = catalogue.content_class(*BANK_HOLDS[kind])
            if content_class is not None and content_class.retention is not None:
                plan.holds.append(Hold(add_period(item.created_at, content_class.retention.period),
                                       f"{kind} hash-bank match", content_class.retention.citation))
    return plan


def _merge(a: BlobPlan, b: BlobPlan) -> BlobPlan:
    """One blob shared by several items: it stays as long as the longest of them needs it."""
    later = a if a.default_until >= b.default_until else b
    return BlobPlan(a.sha256, a.item_ids + b.item_ids, later.basis, later.basis_at, later.default_until,
                    a.holds + b.holds, a.pending or b.pending)


def iter_plans(session: Session, settings: RetentionSettings, *, created_before: datetime | None = None
               ) -> Iterator[BlobPlan]:
    """Plans of every blob not yet purged (stored before `created_before`), in keyset batches."""
    rules = RuleRetentions(session)
    after = ""
    while True:
        query = select(Blob).where(Blob.purged_at.is_(None), Blob.sha256 > after)
        if created_before is not None:
            query = query.where(Blob.created_at <= created_before)
        blobs = list(session.scalars(query.order_by(Blob.sha256).limit(settings.batch_size)))
        if not blobs:
            return
        yield from plan_blobs(session, blobs, settings, rules)
        after = blobs[-1].sha256


def due_plans(session: Session, settings: RetentionSettings, now: datetime) -> Iterator[BlobPlan]:
    # A blob is kept at least the default period after it was stored, so younger ones are skipped.
    for plan in iter_plans(session, settings, created_before=now - timedelta(days=settings.default_days)):
        if plan.is_due(now):
            yield plan


def run_retention(session: Session, blob_store: BlobStore, settings: RetentionSettings, *,
                  now: datetime | None = None, dry_run: bool = False, actor: Actor = RETENTION_ACTOR,
                  limit: int | None = None) -> RetentionReport:
    """Purge every blob that is due (at most `limit`). A dry run only reports them."""
    now = now or utcnow()
    report = RetentionReport(dry_run=dry_run)
    chunk: list[str] = []

    def purge_chunk() -> None:
        session.rollback()  # planning only read; each purge is its own short transaction
        for sha256 in chunk:
            report.checked += 1
            if dry_run:
                report.purged.append(plan_for(session, sha256, settings))
                session.rollback()
                continue
            purged = purge_blob(session, blob_store, sha256, settings, now=now, actor=actor)
            if purged is None:
                report.skipped += 1
            else:
                report.purged.append(purged)
        chunk.clear()

    found = 0
    # Purge a batch as soon as it is planned: memory stays flat however many blobs are due.
    for plan in due_plans(session, settings, now):
        chunk.append(plan.sha256)
        found += 1
        if len(chunk) >= settings.batch_size:
            purge_chunk()
        if limit is not None and found >= limit:
            break
    purge_chunk()
    return report


def plan_for(session: Session, sha256: str, settings: RetentionSettings) -> BlobPlan | None:
    blob = session.get(Blob, sha256)
    return plan_blobs(session, [blob], settings)[0] if blob is not None else None


def purge_blob(session: Session, blob_store: BlobStore, sha256: str, settings: RetentionSettings, *,
               now: datetime, actor: Actor = RETENTION_ACTOR) -> BlobPlan | None:
    """Re-plan under the blob lock; if still due, mark it purged, audit, commit, delete the bytes."""
    with blob_store.locked(sha256):
        try:
            blob = session.scalar(select(Blob).where(Blob.sha256 == sha256).with_for_update())
            plan = plan_blobs(session, [blob], settings)[0] if blob is not None and blob.purged_at is None else None
            if plan is None or not plan.is_due(now):
                session.rollback()
                return None
            blob.purged_at = utcnow()
            fields = dict(reason="retention", basis=plan.basis, purge_after=plan.purge_after,
                          blob_bytes=blob.size, mime=blob.mime, holds_ended=[hold.source for hold in plan.holds])
            for item_id in plan.item_ids:
                audit.record(session, actor, "item.content_purged", "item", item_id, **fields)
            if not plan.item_ids:  # nobody's item uses it any more: the hash names no person's content
                audit.record(session, actor, "blob.purged", "blob", sha256, **fields)
            session.commit()
        except BaseException:
            session.rollback()
            raise
        # After the commit, still under the lock: a failed transaction never loses bytes it references.
        try:
            blob_store.delete_while_locked(sha256)
        except OSError as exc:  # purged in the database: the next round deletes it (retention_leftovers.py)
            log.error("retention: purged blob %s but could not delete its file: %s", sha256[:16], exc)
    return plan


def case_content_purged_at(session: Session, case_id: int) -> datetime | None:
    """When retention purged the file of a case's item (None: not purged, or no file)."""
    return session.scalar(select(Blob.purged_at).join(Item, Item.blob_sha256 == Blob.sha256)
                          .join(Case, Case.item_id == Item.id).where(Case.id == case_id))

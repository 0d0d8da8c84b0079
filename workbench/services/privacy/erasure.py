"""GDPR erasure of one user of one platform (pseudonyms are per platform: user "42" of
another platform is another person and is not touched).

An erasure removes the person's content and everything that repeats it (services/privacy/content_purge.py:
text, file, content hashes and per-frame vPDQ hashes, decision explanations and notes, free text
of notices and appeals about it, outbox bodies), the link from their items to their pseudonym,
the notices and appeals they sent (their words, contact details and pseudonym), their old ->
new pseudonym pairs, finished exports that may repeat it, and their items' finished job records
in Redis. Events in the audit log never held raw personal data, so the hash chain is untouched
and still verifies. Content under a legal evidence hold (GDPR Art. 17(3)(b)) is kept and the
request records which items and why; the retention job erases it once the hold ends.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import Appeal, AppealContact, ErasureRequest, Item, PseudonymRekey, Report, ReportContact
from workbench.models.base import utcnow
from workbench.queues import forget_item_jobs
from workbench.services.blobstore import BlobStore
from workbench.services.exports.expiry import expire_exports_about
from workbench.services.privacy.content_purge import (
    delete_released_files,
    purge_item_content,
    rebuild_webhook_bodies,
    scrub_appeal,
    scrub_report,
)
from workbench.services.privacy.holds import active_holds, describe
from workbench.services.privacy.pseudonyms import pseudonymise
from workbench.services.privacy.subject_access import platform

ERASED_AUTHOR = "erased"

# (session, item, now) -> a reason the item's content must be preserved now, or None.
LegalHoldCheck = Callable[[Session, Item, datetime], "str | None"]


def _evidence_hold(session: Session, item: Item, now: datetime) -> str | None:
    """The item's evidence holds (services/privacy/holds.py): the one that ends last is named."""
    holds = active_holds(session, item.id, now)
    return describe(holds[0]) if holds else None


LEGAL_HOLD_CHECKS: list[LegalHoldCheck] = [_evidence_hold]


def legal_hold(session: Session, item: Item, now: datetime | None = None) -> str | None:
    now = now or utcnow()
    for check in LEGAL_HOLD_CHECKS:
        reason = check(session, item, now)
        if reason:
            return reason
    return None


@dataclass
class ErasureOutcome:
    request_id: int
    items_erased: int = 0
    contacts_erased: int = 0
    blobs_purged: list[str] = field(default_factory=list)
    held: list[dict] = field(default_factory=list)
    exports_expired: list[int] = field(default_factory=list)
    erased_item_ids: list[int] = field(default_factory=list)


def erase_item_content(session: Session, item: Item) -> str | None:
    """Remove one item's content; returns the blob hash to delete after the commit, if no one else uses it."""
    sha256 = purge_item_content(session, item, third_parties=False)
    item.author_pseudonym = ERASED_AUTHOR
    item.erased_at = utcnow()
    return sha256


def erase_person(
    session: Session,
    *,
    actor: Actor,
    pseudonym_key: str,
    blob_store: BlobStore,
    client_id: int,
    platform_user_id: str | None = None,
    email: str | None = None,
    export_dir: str | Path | None = None,
) -> ErasureOutcome:
    """Erase one person of the platform `client_id`, named by their platform user id and/or the
    e-mail address they gave as a reporter or complainant. Raises UnknownPlatform, ValueError."""
    if not platform_user_id and not email:
        raise ValueError("give a platform user id or an e-mail address")
    client_id = platform(session, client_id).id
    identifiers = ",".join(name for name, value in (("platform_user_id", platform_user_id), ("email", email)) if value)
    request = ErasureRequest(requested_by=f"{actor.type}:{actor.id}", identifiers=identifiers)
    session.add(request)
    session.flush()
    outcome = ErasureOutcome(request.id)
    reports: list[Report] = []
    appeals: list[Appeal] = []
    if platform_user_id:
        pseudonym = pseudonymise(pseudonym_key, client_id, platform_user_id)
        _erase_authored_items(session, actor, request, outcome, client_id, pseudonym)
        reports += session.scalars(
            select(Report).where(Report.client_id == client_id, Report.reporter_pseudonym == pseudonym)
        ).all()
        appeals += session.scalars(
            select(Appeal).where(Appeal.client_id == client_id, Appeal.complainant_pseudonym == pseudonym)
        ).all()
        session.execute(
            delete(PseudonymRekey).where(
                PseudonymRekey.client_id == client_id, PseudonymRekey.new_pseudonym == pseudonym
            )
        )
    if email:
        reports += session.scalars(
            select(Report).join(ReportContact).where(Report.client_id == client_id, ReportContact.email == email)
        ).all()
        appeals += session.scalars(
            select(Appeal).join(AppealContact).where(Appeal.client_id == client_id, AppealContact.email == email)
        ).all()
    # What the person sent about others' content: the notices and appeals stay (they are counted).
    for report in {report.id: report for report in reports}.values():
        outcome.contacts_erased += scrub_report(session, report, contact=True)
    for appeal in {appeal.id: appeal for appeal in appeals}.values():
        outcome.contacts_erased += scrub_appeal(session, appeal, contact=True)
    session.flush()
    for item_id in sorted({appeal.item_id for appeal in appeals}):
        rebuild_webhook_bodies(session, item_id)  # "appeal.decided" carries the reply
    request.items_erased = outcome.items_erased
    request.contacts_erased = outcome.contacts_erased
    request.blobs_purged = len(outcome.blobs_purged)
    request.held = json.dumps(outcome.held)
    request.completed_at = utcnow()
    audit.record(
        session,
        actor,
        "privacy.erasure_completed",
        "erasure_request",
        request.id,
        identifiers=identifiers,
        client_id=client_id,
        items_erased=outcome.items_erased,
        contacts_erased=outcome.contacts_erased,
        blobs_purged=len(outcome.blobs_purged),
        items_held=len(outcome.held),
    )
    session.commit()
    outcome.exports_expired = _after_commit(
        session, blob_store, export_dir, outcome.blobs_purged, outcome.erased_item_ids, "erasure", actor
    )
    return outcome


def _erase_authored_items(
    session: Session, actor: Actor, request: ErasureRequest, outcome: ErasureOutcome, client_id: int, pseudonym: str
) -> None:
    for item in session.scalars(
        select(Item).where(Item.client_id == client_id, Item.author_pseudonym == pseudonym)
    ).all():
        reason = legal_hold(session, item)
        if reason:
            outcome.held.append({"item_id": item.id, "reason": reason})
            continue
        purge = erase_item_content(session, item)
        if purge:
            outcome.blobs_purged.append(purge)
        outcome.items_erased += 1
        outcome.erased_item_ids.append(item.id)
        audit.record(session, actor, "item.content_erased", "item", item.id, erasure_request=request.id)


def _after_commit(
    session: Session, blob_store: BlobStore, export_dir, shas: list[str], item_ids: list[int], reason: str, actor: Actor
) -> list[int]:
    """Files, exports and Redis records go only after the commit: a failed transaction must not
    lose content it still references. Returns the export runs expired."""
    delete_released_files(session, blob_store, shas)
    expired = []
    if export_dir is not None and item_ids:
        expired = expire_exports_about(session, export_dir, item_ids, reason=reason, actor=actor)
    from flask import has_app_context

    if item_ids and has_app_context():
        forget_item_jobs(item_ids)
    return expired


def erase_released_holds(
    session: Session,
    *,
    actor: Actor,
    blob_store: BlobStore,
    export_dir: str | Path | None = None,
    now: datetime | None = None,
) -> int:
    """Finish erasure requests whose held items' evidence holds have ended; returns items erased.

    Run by the retention job: the person asked for erasure, the law only postponed it.
    """
    erased, purged = [], []
    requests = session.scalars(
        select(ErasureRequest).where(ErasureRequest.held != "[]").order_by(ErasureRequest.id)
    ).all()
    for request in requests:
        still_held = []
        for entry in json.loads(request.held or "[]"):
            item = session.get(Item, entry["item_id"])
            if item is None or item.erased_at is not None:
                continue
            if legal_hold(session, item, now):
                still_held.append(entry)
                continue
            sha256 = erase_item_content(session, item)
            if sha256:
                purged.append(sha256)
            erased.append(item.id)
            audit.record(
                session, actor, "item.content_erased", "item", item.id, erasure_request=request.id, after_hold=True
            )
        if len(still_held) != len(json.loads(request.held or "[]")):
            request.items_erased += len(json.loads(request.held)) - len(still_held)
            request.held = json.dumps(still_held)
    session.commit()
    _after_commit(session, blob_store, export_dir, purged, erased, "erasure", actor)
    return len(erased)

"""GDPR: erasure of a person's data, and the subject-access export.

An erasure removes the person's content (text, blob bytes, content hashes), the link
from their items to their pseudonym, and reporters' contact details. Events in the audit
log never held raw personal data, so the hash chain is untouched and still verifies.
Content under a legal evidence hold (GDPR Art. 17(3)(b)) is kept and the request records
which items and why; the retention job erases it once the hold ends.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Callable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import Blob, ErasureRequest, Item, ItemHash, Report, ReportContact
from workbench.models.base import utcnow
from workbench.services.blobstore import BlobStore
from workbench.services.pseudonyms import pseudonymise

ERASED_AUTHOR = "erased"

# (session, item) -> a reason the item's content must be preserved now, or None.
LegalHoldCheck = Callable[[Session, Item], "str | None"]


def _bank_match_hold(session: Session, item: Item) -> str | None:
    """Evidence of child abuse or terrorist content must be preserved for a period."""
    from workbench.models import HashBank, HashMatch
    holds = {"csam": (timedelta(days=365), "18 U.S.C. 2258A(h): preserve reported material for 1 year"),
             "terrorism": (timedelta(days=183), "Regulation (EU) 2021/784 Art. 6: preserve for 6 months")}
    kinds = session.scalars(select(HashBank.kind).join(HashMatch, HashMatch.bank_id == HashBank.id)
                            .where(HashMatch.item_id == item.id)).all()
    for kind in kinds:
        if kind in holds and utcnow() < item.created_at + holds[kind][0]:
            return holds[kind][1]
    return None


LEGAL_HOLD_CHECKS: list[LegalHoldCheck] = [_bank_match_hold]


def legal_hold(session: Session, item: Item) -> str | None:
    for check in LEGAL_HOLD_CHECKS:
        reason = check(session, item)
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


def erase_item_content(session: Session, item: Item) -> str | None:
    """Remove one item's content; returns the blob hash to purge if no one else uses it."""
    item.text = None
    item.author_pseudonym = ERASED_AUTHOR
    item.erased_at = utcnow()
    session.execute(delete(ItemHash).where(ItemHash.item_id == item.id))
    blob_sha, item.blob_sha256 = item.blob_sha256, None
    session.flush()
    if blob_sha and session.scalar(select(Item.id).where(Item.blob_sha256 == blob_sha).limit(1)) is None:
        blob = session.get(Blob, blob_sha)
        session.delete(blob)  # the metadata row goes too: its sha256 identifies the content
        return blob_sha
    return None


def erase_person(session: Session, *, actor: Actor, pseudonym_key: str, blob_store: BlobStore,
                 platform_user_id: str | None = None, email: str | None = None) -> ErasureOutcome:
    if not platform_user_id and not email:
        raise ValueError("give a platform user id or an e-mail address")
    identifiers = ",".join(name for name, value in (("platform_user_id", platform_user_id), ("email", email)) if value)
    request = ErasureRequest(requested_by=f"{actor.type}:{actor.id}", identifiers=identifiers)
    session.add(request)
    session.flush()
    outcome = ErasureOutcome(request.id)
    if platform_user_id:
        pseudonym = pseudonymise(pseudonym_key, platform_user_id)
        for item in session.scalars(select(Item).where(Item.author_pseudonym == pseudonym)).all():
            reason = legal_hold(session, item)
            if reason:
                outcome.held.append({"item_id": item.id, "reason": reason})
                continue
            purge = erase_item_content(session, item)
            if purge:
                outcome.blobs_purged.append(purge)
            outcome.items_erased += 1
            audit.record(session, actor, "item.content_erased", "item", item.id, erasure_request=request.id)
        for report in session.scalars(select(Report).where(Report.reporter_pseudonym == pseudonym)).all():
            report.reporter_pseudonym = None
            if report.contact is not None:
                session.delete(report.contact)
                outcome.contacts_erased += 1
    if email:
        contacts = session.scalars(select(ReportContact).where(ReportContact.email == email)).all()
        for contact in contacts:
            session.delete(contact)
        outcome.contacts_erased += len(contacts)
    from workbench.services.appeals import erase_complainant  # appeal contacts, kept like report contacts
    outcome.contacts_erased += erase_complainant(session, pseudonym_key=pseudonym_key,
                                                 platform_user_id=platform_user_id, email=email)
    request.items_erased = outcome.items_erased
    request.contacts_erased = outcome.contacts_erased
    request.blobs_purged = len(outcome.blobs_purged)
    request.held = json.dumps(outcome.held)
    request.completed_at = utcnow()
    audit.record(session, actor, "privacy.erasure_completed", "erasure_request", request.id,
                 identifiers=identifiers, items_erased=outcome.items_erased, contacts_erased=outcome.contacts_erased,
                 blobs_purged=len(outcome.blobs_purged), items_held=len(outcome.held))
    session.commit()
    # Bytes go only after the commit: a failed transaction must not lose content it still references.
    for sha256 in outcome.blobs_purged:
        blob_store.delete(sha256)
    return outcome


def erase_released_holds(session: Session, *, actor: Actor, blob_store: BlobStore) -> int:
    """Finish erasure requests whose held items' evidence holds have ended; returns items erased.

    Run by the retention job: the person asked for erasure, the law only postponed it.
    """
    erased, purged = 0, []
    requests = session.scalars(select(ErasureRequest).where(ErasureRequest.held != "[]")
                               .order_by(ErasureRequest.id)).all()
    for request in requests:
        still_held = []
        for entry in json.loads(request.held or "[]"):
            item = session.get(Item, entry["item_id"])
            if item is None or item.erased_at is not None:
                continue
            if legal_hold(session, item):
                still_held.append(entry)
                continue
            sha256 = erase_item_content(session, item)
            if sha256:
                purged.append(sha256)
            erased += 1
            audit.record(session, actor, "item.content_erased", "item", item.id, erasure_request=request.id,
                         after_hold=True)
        if len(still_held) != len(json.loads(request.held or "[]")):
            request.items_erased += len(json.loads(request.held)) - len(still_held)
            request.held = json.dumps(still_held)
    session.commit()
    for sha256 in purged:  # bytes go only after the commit, as in erase_person
        blob_store.delete(sha256)
    return erased


def subject_access_export(session: Session, *, pseudonym_key: str, platform_user_id: str) -> dict:
    """Everything held about one person (GDPR Art. 15), as JSON-ready data."""
    from workbench.api.serializers import iso
    from workbench.models import ItemSignal
    pseudonym = pseudonymise(pseudonym_key, platform_user_id)
    items = session.scalars(select(Item).where(Item.author_pseudonym == pseudonym).order_by(Item.id)).all()
    reports_made = session.scalars(select(Report).where(Report.reporter_pseudonym == pseudonym)).all()
    document = {"pseudonym": pseudonym, "generated_at": iso(utcnow()), "items": [], "reports_made": []}
    for item in items:
        signals = session.scalars(select(ItemSignal).where(ItemSignal.item_id == item.id)).all()
        reports = session.scalars(select(Report).where(Report.item_id == item.id)).all()
        document["items"].append({
            "id": item.id, "external_id": item.external_id, "kind": item.kind, "country": item.country,
            "language": item.language, "text": item.text, "content_date": iso(item.content_date),
            "received_at": iso(item.created_at), "status": item.status,
            "blob": {"sha256": item.blob.sha256, "mime": item.blob.mime, "size": item.blob.size} if item.blob else None,
            "hashes": [{"algorithm": h.algorithm, "value": h.value} for h in item.hashes],
            "signals": [{"classifier": s.classifier, "version": s.classifier_version, "label": s.label,
                         "score": s.score} for s in signals],
            "reports_about_it": [{"source": r.source, "category": r.category, "received_at": iso(r.received_at)}
                                 for r in reports],
        })
    for report in reports_made:
        document["reports_made"].append({
            "id": report.id, "item_id": report.item_id, "source": report.source, "category": report.category,
            "explanation": report.explanation, "received_at": iso(report.received_at),
            "contact": {"name": report.contact.name, "email": report.contact.email} if report.contact else None,
        })
    session.rollback()
    return document

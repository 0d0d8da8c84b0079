"""Removing an item's content and everything that repeats it, for an erasure or for retention.

Content is more than the text and the file: hashes of it (crypto, perceptual, the vPDQ hash of
every sampled frame) identify it too, a video's frame thumbnails (the case page's strip) show
it, and people write about it — reporters and complainants explain it, moderators quote it in
the explanation a decision sends to the user, in internal notes, escalation and hold reasons
and QA notes, and the webhook outbox keeps the exact body each decision was sent with.
`purge_item_content` empties all of it in the caller's transaction; the rows themselves stay
(regulators' figures count notices, decisions, appeals) and so does the audit log, which never
held any of it.

Files go after the commit (`delete_released_files`), under the blob-store lock, and only if
no item took the same bytes again meanwhile; a file whose delete failed is deleted again by
the next retention round (services/privacy/retention_leftovers.py).
"""

from __future__ import annotations

import json
import logging

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workbench.models import Appeal, Blob, Case, Decision, Item, ItemHash, QaSample, Report, WebhookDelivery
from workbench.models.base import utcnow
from workbench.models.frame_thumbnail import ItemFrameThumbnail
from workbench.models.media import ItemVideoFrame
from workbench.services.appeals.decisions import appeal_webhook_data
from workbench.services.blobstore import BlobStore
from workbench.services.webhooks.delivery import decision_data

log = logging.getLogger(__name__)
REMOVED_FACTS = "The explanation was removed with the content (erasure or retention)."


def purge_item_content(session: Session, item: Item, *, third_parties: bool) -> str | None:
    """Empty the item's content and the free text about it. `third_parties`: also the reporters'
    and complainants' contact details and pseudonyms (retention; an erasure removes only the
    requester's own). Returns the blob's SHA-256 when no item uses the file any more."""
    item.text = None
    item.error = None  # a failure message may name the file's hash
    session.execute(delete(ItemHash).where(ItemHash.item_id == item.id))
    session.execute(delete(ItemVideoFrame).where(ItemVideoFrame.item_id == item.id))
    session.execute(delete(ItemFrameThumbnail).where(ItemFrameThumbnail.item_id == item.id))  # pictures of it
    sha256, item.blob_sha256 = item.blob_sha256, None
    for decision in session.scalars(select(Decision).where(Decision.item_id == item.id)):
        scrub_decision(decision)
    for report in session.scalars(select(Report).where(Report.item_id == item.id)):
        scrub_report(session, report, contact=third_parties)
    for appeal in session.scalars(select(Appeal).where(Appeal.item_id == item.id)):
        scrub_appeal(session, appeal, contact=third_parties)
    for case in session.scalars(select(Case).where(Case.item_id == item.id)):
        scrub_case(case)
    for sample in session.scalars(select(QaSample).where(QaSample.item_id == item.id, QaSample.note.is_not(None))):
        sample.note = None
    session.flush()
    rebuild_webhook_bodies(session, item.id)
    session.expire(item, ["hashes", "blob"])
    return release_blob(session, sha256)


def scrub_decision(decision: Decision) -> None:
    decision.user_explanation = None
    decision.internal_note = None
    sor = decision.statement_of_reasons
    if isinstance(sor, dict) and sor.get("decision_facts"):
        decision.statement_of_reasons = {**sor, "decision_facts": REMOVED_FACTS}  # a new dict: JSON is not mutable


def scrub_report(session: Session, report: Report, *, contact: bool) -> bool:
    """The notice stays (it is counted); its free text goes, and with `contact` who sent it.
    Returns whether a contact row was deleted."""
    report.explanation = None
    if not contact:
        return False
    report.reporter_pseudonym = None
    if report.contact is None:
        return False
    session.delete(report.contact)
    return True


def scrub_appeal(session: Session, appeal: Appeal, *, contact: bool) -> bool:
    """As scrub_report, for an appeal: the complaint, the reply quoting it and the reviewer's note."""
    appeal.explanation = ""  # the column is required; the appeal itself is counted in the figures
    appeal.reply = None
    appeal.note = None
    if not contact:
        return False
    appeal.complainant_pseudonym = None
    if appeal.contact is None:
        return False
    session.delete(appeal.contact)
    return True


def scrub_case(case: Case) -> None:
    case.escalation_reason = None
    case.hold_reason = None
    if case.escalations:  # a moderator's reason goes; a rule's (it names the rule) stays
        case.escalations = [entry if "rule" in entry else {**entry, "reason": ""} for entry in case.escalations]


def rebuild_webhook_bodies(session: Session, item_id: int) -> None:
    """Rewrite the item's outbox bodies, pending or sent, from the scrubbed rows, so neither a
    retry nor a replay sends, and the table no longer keeps, what was removed."""
    for delivery in session.scalars(select(WebhookDelivery).where(WebhookDelivery.item_id == item_id)):
        body = json.loads(delivery.body)
        kind, _, rest = delivery.event_key.partition(":")
        data: dict = {}
        if kind == "decision" and rest.isdigit() and (decision := session.get(Decision, int(rest))) is not None:
            data = decision_data(decision)
        elif kind == "appeal" and (appeal := session.get(Appeal, int(rest.split(":")[0]))) is not None:
            restore = session.get(Decision, appeal.outcome_decision_id) if appeal.outcome_decision_id else None
            data = appeal_webhook_data(appeal, restore)
        body["data"] = data
        delivery.body = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)


def release_blob(session: Session, sha256: str | None) -> str | None:
    """Mark the file purged when no item uses it any more; the caller deletes it after the commit."""
    if not sha256 or session.scalar(select(Item.id).where(Item.blob_sha256 == sha256).limit(1)) is not None:
        return None
    blob = session.get(Blob, sha256)
    if blob is None:
        return None
    blob.purged_at = blob.purged_at or utcnow()
    return sha256


def delete_released_files(session: Session, blob_store: BlobStore, shas: list[str]) -> int:
    """After the commit: delete each file and its row, unless the same bytes were sent again
    (the row was revived, or an item uses it). Returns the files deleted."""
    deleted = 0
    for sha256 in shas:
        try:
            deleted += finish_blob_purge(session, blob_store, sha256)
        except OSError as exc:  # the row stays purged: the next retention round deletes the file
            session.rollback()
            log.error("purged blob %s but could not delete its file: %s", sha256[:16], exc)
    return deleted


def finish_blob_purge(session: Session, blob_store: BlobStore, sha256: str) -> bool:
    """Under the blob lock: delete the file of a purged, unused blob, then its row (the hash
    is itself content). A purged blob that an item uses again is revived instead."""
    with blob_store.locked(sha256):
        try:
            blob = session.scalar(select(Blob).where(Blob.sha256 == sha256).with_for_update())
            if blob is None or blob.purged_at is None:
                session.rollback()
                return False
            if session.scalar(select(Item.id).where(Item.blob_sha256 == sha256).limit(1)) is not None:
                if blob_store.exists(sha256):
                    blob.purged_at = None  # an upload of the same bytes raced the purge and uses the file
                session.commit()
                return False
            existed = blob_store.delete_while_locked(sha256)
            session.delete(blob)
            session.commit()
        except BaseException:
            session.rollback()
            raise
    return existed

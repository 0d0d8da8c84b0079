"""Storing an upload: blob, item row and audit event in one transaction."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import Blob, Item, ItemStatus
from workbench.models.base import utcnow
from workbench.services.blobstore import BlobStore
from workbench.services.intake.images import CheckedImage
from workbench.services.intake.submissions import ItemSubmission
from workbench.services.privacy.pseudonyms import pseudonymise


@dataclass(frozen=True)
class UploadedImage:
    data: bytes
    checked: CheckedImage


@dataclass(frozen=True)
class IngestResult:
    item: Item
    created: bool


def find_item(session: Session, client_id: int, external_id: str) -> Item | None:
    return session.scalar(select(Item).where(Item.client_id == client_id, Item.external_id == external_id))


def ingest_item(
    session: Session,
    *,
    client_id: int,
    submission: ItemSubmission,
    image: UploadedImage | None,
    blob_store: BlobStore,
    pseudonym_key: str,
) -> IngestResult:
    """Create the item, or return the existing one for a resent external id.

    The caller enqueues the pipeline job only after this returns (the commit is done).
    """
    with contextlib.ExitStack() as stack:
        # The blob lock comes before any database work (see BlobStore.reserve).
        reservation = stack.enter_context(blob_store.reserve(image.data)) if image else None
        existing = find_item(session, client_id, submission.external_id)
        if existing is not None:
            session.commit()
            return IngestResult(existing, created=False)
        try:
            item = _add_item(
                session, client_id, submission, reservation.sha256 if reservation else None, image, pseudonym_key
            )
            session.commit()
        except IntegrityError:
            # Two requests with the same external id raced; the other one won.
            session.rollback()
            existing = find_item(session, client_id, submission.external_id)
            session.commit()
            if existing is None:
                raise
            return IngestResult(existing, created=False)
        except BaseException:
            session.rollback()
            raise
        if reservation:
            reservation.keep()
        return IngestResult(item, created=True)


def _add_item(
    session: Session,
    client_id: int,
    submission: ItemSubmission,
    blob_sha256: str | None,
    image: UploadedImage | None,
    pseudonym_key: str,
) -> Item:
    stored = session.get(Blob, blob_sha256) if blob_sha256 else None
    if blob_sha256 and stored is None:
        checked = image.checked
        session.add(
            Blob(
                sha256=blob_sha256,
                mime=checked.mime,
                size=len(image.data),
                width=checked.width,
                height=checked.height,
                frames=checked.frames,
            )
        )
    elif stored is not None and stored.purged_at is not None:
        stored.purged_at = None  # the same bytes were sent again: reserve() stored them anew
    now = utcnow()
    item = Item(
        client_id=client_id,
        external_id=submission.external_id,
        kind=submission.kind,
        author_pseudonym=pseudonymise(pseudonym_key, client_id, submission.author_id),
        country=submission.country,
        visible_in=submission.visible_in,
        language=submission.language,
        content_date=submission.content_date,
        account_age_days=submission.account_age_days,
        text=submission.text,
        blob_sha256=blob_sha256,
        status=ItemStatus.RECEIVED,
        created_at=now,
        updated_at=now,
    )
    session.add(item)
    session.flush()
    audit.record(
        session,
        Actor.api_client(client_id),
        "item.created",
        "item",
        item.id,
        kind=item.kind,
        country=item.country,
        visible_in=item.visible_in,
        external_id=item.external_id,
    )
    return item

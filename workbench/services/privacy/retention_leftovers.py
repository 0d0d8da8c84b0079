"""Purged files still on disk: an erasure or a retention purge committed (the blob row says
`purged_at`, the audit events are written) but deleting the file afterwards failed (a
read-only or failing disk, a permissions slip). Every retention round finishes such purges:
under the blob-store lock, and only while the blob is still purged and no item uses it (the
same bytes sent again revive it), it deletes the file and then the row, whose SHA-256 is
itself a hash of the content. Rows are keyset-paged; once finished they are gone, so the
set stays small. Blobs purged before purges removed their rows and still named by an item
are left to that item's own retention purge.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from workbench.models import Blob, Item
from workbench.services.blobstore import BlobStore
from workbench.services.privacy.content_purge import finish_blob_purge

log = logging.getLogger(__name__)
PAGE = 500


@dataclass
class LeftoverReport:
    deleted: int = 0  # files deleted
    failed: int = 0  # files that still cannot be deleted


def delete_leftover_files(session: Session, blob_store: BlobStore) -> LeftoverReport:
    report = LeftoverReport()
    after = ""
    while True:
        page = session.scalars(
            select(Blob.sha256)
            .where(Blob.purged_at.is_not(None), Blob.sha256 > after, ~exists().where(Item.blob_sha256 == Blob.sha256))
            .order_by(Blob.sha256)
            .limit(PAGE)
        ).all()
        session.rollback()
        if not page:
            return report
        after = page[-1]
        for sha256 in page:
            try:
                removed = finish_blob_purge(session, blob_store, sha256)
            except OSError as exc:
                session.rollback()
                report.failed += 1
                log.error("retention: purged blob %s is still on disk and cannot be deleted: %s", sha256[:16], exc)
                continue
            if removed:
                report.deleted += 1
                log.warning("retention: deleted the leftover file of purged blob %s", sha256[:16])

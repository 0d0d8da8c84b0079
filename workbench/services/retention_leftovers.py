"""Purged files still on disk: retention committed the purge (blobs.purged_at, the audit
events) but deleting the bytes afterwards failed (a read-only or failing disk, a permissions
slip). The database already says purged, so every retention round deletes such files again,
under the blob-store lock and only while the blob is still purged (the same bytes sent again
revive it), until they are gone. Blobs purged in the last LOOKBACK_DAYS are checked: one stat
each, keyset-paged.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.models import Blob
from workbench.models.base import utcnow
from workbench.services.blobstore import BlobStore

log = logging.getLogger(__name__)
LOOKBACK_DAYS = 30
PAGE = 500


@dataclass
class LeftoverReport:
    deleted: int = 0
    failed: int = 0


def delete_leftover_files(session: Session, blob_store: BlobStore, *, now: datetime | None = None,
                          lookback_days: int = LOOKBACK_DAYS) -> LeftoverReport:
    since = (now or utcnow()) - timedelta(days=lookback_days)
    report = LeftoverReport()
    after = ""
    while True:
        page = session.scalars(select(Blob.sha256).where(Blob.purged_at.is_not(None), Blob.purged_at >= since,
                                                         Blob.sha256 > after)
                               .order_by(Blob.sha256).limit(PAGE)).all()
        session.rollback()
        if not page:
            return report
        after = page[-1]
        for sha256 in page:
            if blob_store.exists(sha256):
                _delete_if_still_purged(session, blob_store, sha256, report)


def _delete_if_still_purged(session: Session, blob_store: BlobStore, sha256: str, report: LeftoverReport) -> None:
    with blob_store.locked(sha256):
        still_purged = session.scalar(select(Blob.purged_at).where(Blob.sha256 == sha256)) is not None
        session.rollback()
        if not still_purged:
            return
        try:
            if blob_store.delete_while_locked(sha256):
                report.deleted += 1
                log.warning("retention: deleted the leftover file of purged blob %s", sha256[:16])
        except OSError as exc:
            report.failed += 1
            log.error("retention: purged blob %s is still on disk and cannot be deleted: %s", sha256[:16], exc)

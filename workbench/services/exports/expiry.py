"""Finished exports are files full of audit data: they are kept WORKBENCH_EXPORT_KEEP_DAYS
after they finish, then deleted. The run's row stays (who asked, when, the file's name, size
and SHA-256, so an auditor can still match a copy made earlier) with status `expired`, and
`export.expired` is audited in the same transaction. The file goes after the commit; a file
whose delete failed is deleted again by the next round.
"""

from __future__ import annotations

import logging
import shutil
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import Decision, ExportRun, ExportStatus
from workbench.models.base import utcnow

log = logging.getLogger(__name__)
EXPORTS_ACTOR = Actor.system("exports")


def expire_exports(
    session: Session, export_dir: str | Path, *, keep_days: float, now: datetime | None = None
) -> list[int]:
    """Expire the finished runs older than `keep_days` and delete their files; returns their ids."""
    cutoff = (now or utcnow()) - timedelta(days=keep_days)
    runs = list(
        session.scalars(
            select(ExportRun)
            .where(ExportRun.status == ExportStatus.DONE, ExportRun.finished_at < cutoff)
            .order_by(ExportRun.id)
            .with_for_update()
        )
    )
    for run in runs:
        run.status = ExportStatus.EXPIRED
        audit.record(
            session,
            EXPORTS_ACTOR,
            "export.expired",
            "export_run",
            run.id,
            kind=run.kind,
            sha256=run.sha256,
            kept_days=keep_days,
        )
    session.commit()
    # The folders on disk (a week's exports, not the whole history) whose run has expired:
    # this round's, and any whose delete failed before.
    root = Path(export_dir)
    folders = {int(p.name): p for p in root.iterdir() if p.is_dir() and p.name.isdigit()} if root.is_dir() else {}
    expired_ids = session.scalars(
        select(ExportRun.id).where(ExportRun.id.in_(list(folders)), ExportRun.status == ExportStatus.EXPIRED)
    ).all()
    session.rollback()
    for run_id in expired_ids:
        _delete_folder(folders[run_id])
    return [run.id for run in runs]


def _delete_folder(folder: Path) -> None:
    try:
        shutil.rmtree(folder)
    except OSError as exc:
        log.error("exports: could not delete the expired export %s: %s", folder, exc)


# Kinds whose files repeat content or what people wrote about it: statements of reasons carry
# the moderator's explanation. Audit bundles and transparency tables hold neither.
CONTENT_EXPORT_KINDS = ("sor",)


def expire_exports_about(
    session: Session, export_dir: str | Path, item_ids: list[int], *, reason: str, actor: Actor = EXPORTS_ACTOR
) -> list[int]:
    """After an erasure or a retention purge: expire the finished exports that may repeat what
    was removed (those whose period holds a decision on one of the items) and delete their files
    at once, instead of WORKBENCH_EXPORT_KEEP_DAYS later. Commits; returns the runs' ids."""
    if not item_ids:
        return []
    days = {at.date() for at in session.scalars(select(Decision.decided_at).where(Decision.item_id.in_(item_ids)))}
    runs = [
        run
        for run in session.scalars(
            select(ExportRun)
            .where(ExportRun.status == ExportStatus.DONE, ExportRun.kind.in_(CONTENT_EXPORT_KINDS))
            .order_by(ExportRun.id)
            .with_for_update()
        )
        if any(_covers(run.parameters or {}, day) for day in days)
    ]
    for run in runs:
        run.status = ExportStatus.EXPIRED
        audit.record(
            session, actor, "export.expired", "export_run", run.id, kind=run.kind, sha256=run.sha256, reason=reason
        )
    session.commit()
    for run in runs:
        folder = Path(export_dir) / str(run.id)
        if folder.is_dir():
            _delete_folder(folder)
    return [run.id for run in runs]


def _covers(parameters: dict, day) -> bool:
    first, last = parameters.get("date_from"), parameters.get("date_to")
    return (first is None or day.isoformat() >= first) and (last is None or day.isoformat() <= last)

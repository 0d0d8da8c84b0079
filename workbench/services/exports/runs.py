"""Exports an auditor starts from the web: requested here (a row, committed, audited), run by
an RQ job (jobs/exports.py) that records its progress on the row and leaves one file whose
SHA-256 is stored, downloaded later through an authenticated route that audits it too.

Kinds: the audit bundle (services/exports/audit_bundle.py, zipped), DSA statements of reasons
(services/exports/sor.py, JSONL) and the transparency report (services/exports/transparency.py, zipped CSVs).
"""

from __future__ import annotations

import hashlib
import shutil
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.audit.checkpoints import create_checkpoint
from workbench.models import ExportRun, ExportStatus
from workbench.models.base import utcnow
from workbench.services.exports.audit_bundle import export_audit_bundle
from workbench.services.exports.sor import write_sor_export
from workbench.services.exports.transparency import write_transparency_report

MAX_ERROR_CHARS = 2000
PROGRESS_EVERY_S = 1.0  # progress commits at most this often (each one ends the writer's read transaction)


@dataclass(frozen=True)
class ExportKind:
    name: str
    label: str
    dates: str  # "none", "optional" or "required"


EXPORT_KINDS = {
    "audit_bundle": ExportKind("audit_bundle", "Audit bundle: the verifiable audit log with its verifier", "none"),
    "sor": ExportKind("sor", "DSA statements of reasons (Transparency Database JSONL)", "optional"),
    "transparency": ExportKind("transparency", "Transparency report (CSV tables)", "required"),
}


class ExportRefused(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


class UnknownExportKind(ExportRefused):
    pass


class ExportExpired(Exception):
    """The run finished, and its file was deleted after WORKBENCH_EXPORT_KEEP_DAYS (export_expiry.py)."""


def export_kind(name: str) -> ExportKind:
    try:
        return EXPORT_KINDS[name]
    except KeyError:
        raise UnknownExportKind(f"unknown export kind {name!r}; known: {', '.join(EXPORT_KINDS)}", "kind") from None


def actor_label(actor: Actor) -> str:
    return f"{actor.type}:{actor.id}"


def request_export(
    session: Session, kind_name: str, actor: Actor, *, date_from: date | None = None, date_to: date | None = None
) -> ExportRun:
    """Validate, create the run and commit; the caller enqueues the job afterwards."""
    kind = export_kind(kind_name)
    if kind.dates == "none":
        date_from = date_to = None
    if kind.dates == "required" and (date_from is None or date_to is None):
        raise ExportRefused("This export needs a first and a last day.", "date_from")
    if date_from and date_to and date_from > date_to:
        raise ExportRefused("The first day must not be after the last day.", "date_to")
    parameters = {
        "date_from": date_from.isoformat() if date_from else None,
        "date_to": date_to.isoformat() if date_to else None,
    }
    run = ExportRun(
        kind=kind.name,
        parameters=parameters,
        requested_by=actor_label(actor),
        requested_by_user_id=int(actor.id) if actor.type == "user" else None,
        status=ExportStatus.QUEUED,
        created_at=utcnow(),
    )
    session.add(run)
    session.flush()
    audit.record(session, actor, "export.requested", "export_run", run.id, kind=kind.name, **parameters)
    session.commit()
    return run


def recent_runs(session: Session, limit: int = 50) -> list[ExportRun]:
    return list(session.scalars(select(ExportRun).order_by(ExportRun.id.desc()).limit(limit)))


def _progress_recorder(session: Session, run_id: int) -> Callable[[int, int], None]:
    """Writes progress through the writer's own session: on SQLite every transaction takes the
    write lock (BEGIN IMMEDIATE), so a second connection would wait for the export to end."""
    last = [0.0]

    def progress(done: int, total: int) -> None:
        now = time.monotonic()
        if now - last[0] < PROGRESS_EVERY_S and done < total:
            return
        last[0] = now
        session.execute(
            update(ExportRun).where(ExportRun.id == run_id).values(progress_done=done, progress_total=total)
        )
        session.commit()

    return progress


def _zip_directory(folder: Path, target: Path) -> None:
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                archive.write(path, path.relative_to(folder).as_posix())


def _write(
    session: Session,
    run: ExportRun,
    workdir: Path,
    actor: Actor,
    signing_key,
    puid_key: str,
    progress: Callable[[int, int], None],
) -> Path:
    params = run.parameters or {}
    date_from = date.fromisoformat(params["date_from"]) if params.get("date_from") else None
    date_to = date.fromisoformat(params["date_to"]) if params.get("date_to") else None
    if run.kind == "audit_bundle":
        create_checkpoint(session, signing_key)  # the bundle ends on a signed head
        export_audit_bundle(session, signing_key, workdir / "bundle", progress=progress)
        target = workdir / f"audit-bundle-{run.id}.zip"
        _zip_directory(workdir / "bundle", target)
        return target
    if run.kind == "sor":
        target = workdir / f"statements-of-reasons-{run.id}.jsonl"
        write_sor_export(
            session, target, puid_key=puid_key, since=date_from, until=date_to, actor=actor, progress=progress
        )
        return target
    if run.kind == "transparency":
        write_transparency_report(session, date_from, date_to, workdir / "report", actor=actor, progress=progress)
        target = workdir / f"transparency-report-{run.id}-{date_from}-{date_to}.zip"
        _zip_directory(workdir / "report", target)
        return target
    raise UnknownExportKind(f"unknown export kind {run.kind!r}")


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def run_export(
    session: Session, run_id: int, *, export_dir: str | Path, signing_key, pseudonym_key: str
) -> ExportRun | None:
    """Run one export. Safe to run twice: a finished run is left alone, an interrupted one
    starts over in an emptied folder. `pseudonym_key` keys the statements of reasons' puids."""
    run = session.get(ExportRun, run_id)
    if run is None or run.is_final:
        session.rollback()
        return run
    kind, requested_by = run.kind, run.requested_by
    actor = Actor(*requested_by.split(":", 1))
    run.status, run.started_at, run.progress_done, run.error = ExportStatus.RUNNING, utcnow(), 0, None
    session.commit()
    workdir = Path(export_dir) / str(run_id)
    shutil.rmtree(workdir, ignore_errors=True)
    workdir.mkdir(parents=True)
    try:
        progress = _progress_recorder(session, run_id)
        target = _write(session, run, workdir, actor, signing_key, pseudonym_key, progress)
        for leftover in workdir.iterdir():  # keep only the finished file
            if leftover != target:
                shutil.rmtree(leftover) if leftover.is_dir() else leftover.unlink()
        sha256, size = file_sha256(target), target.stat().st_size
    except Exception as exc:  # noqa: BLE001 - whatever failed, the run is marked failed with the reason
        session.rollback()
        run = session.get(ExportRun, run_id)
        run.status, run.finished_at = ExportStatus.FAILED, utcnow()
        run.error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        audit.record(
            session, Actor.system("exports"), "export.failed", "export_run", run_id, kind=kind, error=type(exc).__name__
        )
        session.commit()
        shutil.rmtree(workdir, ignore_errors=True)
        return run
    session.rollback()
    run = session.get(ExportRun, run_id)
    run.status, run.finished_at = ExportStatus.DONE, utcnow()
    run.progress_total = max(run.progress_total or 0, run.progress_done or 0, 1)
    run.progress_done = run.progress_total
    run.file_path, run.file_name, run.file_size, run.sha256 = str(target), target.name, size, sha256
    audit.record(
        session,
        Actor.system("exports"),
        "export.finished",
        "export_run",
        run_id,
        kind=kind,
        sha256=sha256,
        bytes=size,
        file=target.name,
    )
    session.commit()
    return run


def mark_failed(session: Session, run_id: int, exc: BaseException) -> None:
    session.rollback()
    run = session.get(ExportRun, run_id)
    if run is not None and not run.is_final:
        run.status, run.finished_at = ExportStatus.FAILED, utcnow()
        run.error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        session.commit()


def open_for_download(session: Session, run_id: int, actor: Actor) -> ExportRun | None:
    """The finished run whose file exists, with the download audited (committed); else None.
    Raises ExportExpired for a run whose file has been deleted."""
    run = session.get(ExportRun, run_id)
    if run is not None and run.status == ExportStatus.EXPIRED:
        session.rollback()
        raise ExportExpired(run_id)
    if run is None or run.status != ExportStatus.DONE or not run.file_path or not Path(run.file_path).is_file():
        session.rollback()
        return None
    audit.record(session, actor, "export.downloaded", "export_run", run.id, kind=run.kind, sha256=run.sha256)
    session.commit()
    return run

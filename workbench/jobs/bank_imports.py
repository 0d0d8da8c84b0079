"""The hash-list import job (its own queue), and queueing it after the import row committed."""

from __future__ import annotations

import logging

from flask import current_app
from redis.exceptions import RedisError
from rq import Retry, get_current_job
from rq.exceptions import NoSuchJobError
from rq.job import Job

from workbench.extensions import db, get_queue
from workbench.jobs.context import job_app_context
from workbench.services.banks.import_files import ImportFileMissing, ImportFileStore
from workbench.services.banks.imports import ImportTakenOver, create_import, mark_failed, run_import
from workbench.settings import current as current_settings
from workbench.settings import of as settings_of

log = logging.getLogger(__name__)
RUN_IMPORT = "workbench.jobs.bank_imports.run_import_job"
WAITING = {"queued", "scheduled", "deferred", "started"}


def job_id_for(import_id: int) -> str:
    return f"bank-import-{import_id}"


def import_store(app) -> ImportFileStore:
    return ImportFileStore(settings_of(app).import_dir)


def import_job_state(import_id: int) -> str | None:
    try:
        job = Job.fetch(job_id_for(import_id), connection=get_queue().connection)
    except (NoSuchJobError, RedisError):
        return None
    status = job.get_status(refresh=False)
    return getattr(status, "value", status)


def enqueue_import(import_id: int) -> bool:
    """Queue the import; False when Redis is unreachable (the page offers to start it again)."""
    settings = current_settings()
    queue = get_queue(settings.import_queue)
    try:
        if import_job_state(import_id) in WAITING:
            return True  # one run at a time; a second one would stop at the first chunk anyway
        existing = queue.fetch_job(job_id_for(import_id))
        if existing is not None:
            existing.delete()
        queue.enqueue(
            RUN_IMPORT,
            import_id,
            job_id=job_id_for(import_id),
            retry=Retry(max=3, interval=[5, 30, 120]),
            job_timeout=settings.import_job_timeout_s,
            result_ttl=3600,
            failure_ttl=7 * 24 * 3600,
        )
        return True
    except RedisError as exc:
        log.warning("could not queue import %s (%s)", import_id, exc)
        return False


def run_import_job(import_id: int) -> str:
    with job_app_context() as app:
        session = db.session
        try:
            result = run_import(session, import_id, import_store(app), chunk_lines=settings_of(app).import_chunk_lines)
            return result.status
        except ImportTakenOver as exc:  # another run is doing the work
            session.rollback()
            log.info("%s", exc)
            return "taken_over"
        except ImportFileMissing as exc:  # retrying cannot bring the file back
            session.rollback()
            mark_failed(session, import_id, str(exc))
            return "failed"
        except Exception as exc:
            session.rollback()
            job = get_current_job()
            if job is None or not job.retries_left:
                mark_failed(session, import_id, f"{type(exc).__name__}: {exc}")
            raise
        finally:
            session.remove()


def start_import(session, bank, stream, filename: str, fields: dict, actor) -> tuple:
    """Keep the file and record the import; run it here when it is one chunk, else queue it.

    Returns (import, queued_or_done). Raises the services' validation errors and FileTooLarge.
    """
    settings = current_settings()
    chunk_lines = settings.import_chunk_lines
    bank_import = create_import(
        session,
        bank,
        stream,
        filename=filename,
        fmt=fields.get("format") or "auto",
        algorithm=fields.get("algorithm") or None,
        source=fields.get("source") or "",
        actor=actor,
        store=import_store(current_app),
        max_bytes=settings.max_import_bytes,
    )
    if bank_import.total_lines <= chunk_lines:
        # One chunk: about as quick as the upload itself, and needs no worker.
        return run_import(session, bank_import.id, import_store(current_app), chunk_lines=chunk_lines), True
    return bank_import, enqueue_import(bank_import.id)

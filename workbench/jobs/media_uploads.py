"""The job that hashes a video or reference track uploaded on a bank page (the imports queue).

Thin: an upload id in, services/banks/media_upload_queue.py does the work. Queued only
after the upload's row committed; the bank page can queue it again while it is not finished.
"""

from __future__ import annotations

from rq import Retry, get_current_job

from workbench.extensions import db, get_queue
from workbench.jobs.context import job_app_context
from workbench.queues import try_enqueue
from workbench.services.banks.media_upload_queue import mark_failed, run_media_upload
from workbench.settings import current as current_settings
from workbench.settings import of as settings_of

RUN_MEDIA_UPLOAD = "workbench.jobs.media_uploads.run_media_upload_job"


def job_id_for(upload_id: int) -> str:
    return f"bank-media-upload-{upload_id}"


def enqueue_media_upload(upload_id: int) -> bool:
    """False when Redis is unreachable: the row stays queued and the bank page offers to retry."""
    settings = current_settings()
    return try_enqueue(
        get_queue(settings.import_queue),
        RUN_MEDIA_UPLOAD,
        upload_id,
        what=f"bank media upload {upload_id}",
        job_id=job_id_for(upload_id),
        retry=Retry(max=2, interval=[5, 30]),
        job_timeout=settings.job_timeout_s,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
    )


def run_media_upload_job(upload_id: int) -> str:
    with job_app_context() as app:
        session = db.session
        try:
            return run_media_upload(session, upload_id, settings_of(app)).status
        except Exception as exc:
            session.rollback()
            job = get_current_job()
            if job is None or not job.retries_left:
                mark_failed(session, upload_id, f"{type(exc).__name__}: {exc}", settings_of(app))
            raise
        finally:
            session.remove()

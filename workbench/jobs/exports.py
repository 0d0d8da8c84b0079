"""The export job: an id in, the service does the work (services/exports/runs.py)."""

from __future__ import annotations

from workbench.audit.keys import signer_key
from workbench.extensions import db, get_queue
from workbench.jobs.context import job_app_context
from workbench.queues import try_enqueue
from workbench.services.exports.runs import mark_failed
from workbench.services.exports.runs import run_export as run
from workbench.settings import current as current_settings
from workbench.settings import of as settings_of

EXPORT_TIMEOUT_S = 6 * 3600


def run_export(run_id: int) -> str:
    with job_app_context() as app:
        try:
            settings = settings_of(app)
            result = run(
                db.session,
                run_id,
                export_dir=settings.export_dir,
                signing_key=signer_key(app),
                pseudonym_key=settings.pseudonym_key,
            )
            return result.status if result is not None else "missing"
        except Exception as exc:
            mark_failed(db.session, run_id, exc)
            raise
        finally:
            db.session.remove()


def enqueue_export(run_id: int) -> bool:
    """After the run's row committed; a deterministic job id so a resend cannot fork it."""
    return try_enqueue(
        get_queue(current_settings().export_queue),
        "workbench.jobs.exports.run_export",
        run_id,
        what=f"export {run_id}",
        job_id=f"export-run-{run_id}",
        job_timeout=EXPORT_TIMEOUT_S,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
    )

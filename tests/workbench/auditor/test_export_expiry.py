"""Finished exports expire: the file is deleted after WORKBENCH_EXPORT_KEEP_DAYS, the row
keeps its name, size and SHA-256, `export.expired` is audited, the download answers 410."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from sqlalchemy import select

from tests.workbench.auditor.test_exports import actions, start
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import AuditEvent, ExportRun
from workbench.models.base import utcnow
from workbench.services.exports.expiry import expire_exports


def _expire(app, *, days_later: float) -> list[int]:
    with app.app_context():
        return expire_exports(
            db.session,
            workbench_settings.of(app).export_dir,
            keep_days=workbench_settings.of(app).export_keep_days,
            now=utcnow() + timedelta(days=days_later),
        )


def test_an_export_expires_after_its_keep_period(app, auth, client, run_worker):
    auth.login("auditor")
    response = start(client, kind="sor", date_from="2026-01-01", date_to="2026-12-31")
    run_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    run_worker()
    with app.app_context():
        run = db.session.get(ExportRun, run_id)
        path, sha256, name = Path(run.file_path), run.sha256, run.file_name
    assert path.is_file() and client.get(f"/exports/{run_id}/download").status_code == 200

    assert _expire(app, days_later=6) == []  # inside the default 7 days
    assert path.is_file()
    assert _expire(app, days_later=8) == [run_id]
    assert not path.exists() and not path.parent.exists()
    with app.app_context():
        run = db.session.get(ExportRun, run_id)
        assert (run.status, run.sha256, run.file_name) == ("expired", sha256, name)
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "export.expired"))
        assert event.object_id == str(run_id) and sha256 in event.payload
    assert client.get(f"/exports/{run_id}/download").status_code == 410
    page = client.get(f"/exports/{run_id}").get_data(as_text=True)
    assert "was deleted when its keep period ended" in page and sha256 in page
    assert client.get("/exports/999999/download").status_code == 404
    assert _expire(app, days_later=30) == []  # nothing twice
    assert actions(app).count("export.expired") == 1


def test_a_leftover_folder_of_an_expired_export_is_deleted_next_round(app, auth, client, run_worker):
    auth.login("auditor")
    response = start(client, kind="sor", date_from="2026-01-01", date_to="2026-12-31")
    run_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    run_worker()
    assert _expire(app, days_later=8) == [run_id]
    leftover = Path(workbench_settings.of(app).export_dir) / str(run_id)
    leftover.mkdir(parents=True)
    (leftover / "left.jsonl").write_text("{}")  # as if the delete had failed
    assert _expire(app, days_later=9) == []
    assert not leftover.exists()

"""Exports for auditors: started from the page, run by a real RQ worker, progress recorded,
the file downloadable with a matching SHA-256, everything audited."""

from __future__ import annotations

import hashlib
import io
import json
import subprocess
import sys
import zipfile

from sqlalchemy import select

from tests.support.auth import csrf_token_from
from tests.support.factories import text_item
from workbench.extensions import db
from workbench.models import AuditEvent, ExportRun


def start(client, **data):
    token = csrf_token_from(client.get("/exports").get_data(as_text=True))
    return client.post("/exports", data={"csrf_token": token, **data})


def actions(app) -> list[str]:
    with app.app_context():
        return list(db.session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_audit_bundle_export_finishes_and_downloads_with_matching_sha256(app, api, auth, client, run_worker, tmp_path):
    api.post_json("/items", text_item("x1"))
    auth.login("auditor")
    response = start(client, kind="audit_bundle")
    assert response.status_code == 302
    run_id = int(response.headers["Location"].rstrip("/").split("/")[-1])
    assert client.get(f"/exports/{run_id}/progress.json").get_json()["status"] == "queued"
    run_worker()
    progress = client.get(f"/exports/{run_id}/progress.json").get_json()
    assert progress["status"] == "done" and progress["done"] == progress["total"] > 0 and progress["percent"] == 100
    page = client.get(f"/exports/{run_id}").get_data(as_text=True)
    assert progress["sha256"] in page and "progress_poll.js" in page

    download = client.get(progress["download_url"])
    assert download.status_code == 200 and "attachment" in download.headers["Content-Disposition"]
    body = download.get_data()
    assert hashlib.sha256(body).hexdigest() == progress["sha256"] == download.headers["X-Content-SHA256"]
    with app.app_context():
        run = db.session.get(ExportRun, run_id)
        assert run.requested_by.startswith("user:") and run.file_size == len(body)
    bundle = tmp_path / "bundle"
    zipfile.ZipFile(io.BytesIO(body)).extractall(bundle)
    events = [json.loads(line) for line in (bundle / "events.jsonl").read_text().splitlines()]
    assert any(event["action"] == "export.requested" for event in events)
    checked = subprocess.run([sys.executable, str(bundle / "verifier.py"), str(bundle)], capture_output=True, text=True)
    assert checked.returncode == 0 and checked.stdout.startswith("OK"), checked.stdout
    assert {"export.requested", "export.finished", "export.downloaded"} <= set(actions(app))
    listing = client.get("/exports").get_data(as_text=True)
    assert run.file_name in listing


def test_regulator_exports_run_too(app, auth, client, run_worker):
    auth.login("auditor")
    missing_dates = start(client, kind="transparency")
    assert missing_dates.status_code == 400 and "needs a first and a last day" in missing_dates.get_data(as_text=True)
    backwards = start(client, kind="sor", date_from="2026-02-01", date_to="2026-01-01")
    assert backwards.status_code == 400
    assert start(client, kind="nonsense").status_code == 400
    sor = start(client, kind="sor", date_from="2026-01-01", date_to="2026-12-31")
    report = start(client, kind="transparency", date_from="2026-01-01", date_to="2026-03-31")
    assert sor.status_code == report.status_code == 302
    run_worker()
    with app.app_context():
        runs = db.session.scalars(select(ExportRun).order_by(ExportRun.id)).all()
        assert [(r.kind, r.status) for r in runs] == [("sor", "done"), ("transparency", "done")], [
            (r.kind, r.status, r.error) for r in runs
        ]
        assert runs[0].file_name.endswith(".jsonl") and runs[1].file_name.endswith(".zip")
        ids = [r.id for r in runs]
    body = client.get(f"/exports/{ids[1]}/download").get_data()
    assert "summary.csv" in zipfile.ZipFile(io.BytesIO(body)).namelist()


def test_a_failed_export_is_recorded_and_offers_no_download(app, auth, client, run_worker):
    auth.login("auditor")
    run_id = int(
        start(client, kind="transparency", date_from="2026-01-01", date_to="2026-01-31")
        .headers["Location"]
        .split("/")[-1]
    )
    with app.app_context():
        db.session.get(ExportRun, run_id).kind = "vanished"  # a kind this version cannot write
        db.session.commit()
    run_worker()
    progress = client.get(f"/exports/{run_id}/progress.json").get_json()
    assert progress["status"] == "failed" and progress["download_url"] is None
    assert client.get(f"/exports/{run_id}/download").status_code == 404
    assert "export.failed" in actions(app)

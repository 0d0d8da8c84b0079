"""Exports for auditors: start one (an RQ job), watch its progress, download the file."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, send_file, url_for
from flask_login import current_user

from workbench.audit import Actor
from workbench.extensions import db
from workbench.jobs.exports import enqueue_export
from workbench.models import ExportRun
from workbench.services.exports.runs import ExportExpired, ExportRefused, open_for_download, recent_runs, request_export
from workbench.settings import current as current_settings
from workbench.web.auditor.blueprint import bp
from workbench.web.auditor.forms import ExportForm
from workbench.web.permissions import require_permission


def _render_index(form: ExportForm, status: int = 200):
    runs = recent_runs(db.session)
    db.session.rollback()
    return render_template("auditor/exports.html", form=form, runs=runs), status


@bp.get("/exports")
@require_permission("exports.run")
def exports_index():
    return _render_index(ExportForm())


@bp.post("/exports")
@require_permission("exports.run")
def start_export():
    form = ExportForm()
    if not form.validate_on_submit():
        return _render_index(form, 400)
    try:
        run = request_export(
            db.session,
            form.kind.data,
            Actor.user(current_user.id),
            date_from=form.date_from.data,
            date_to=form.date_to.data,
        )
    except ExportRefused as exc:
        db.session.rollback()
        getattr(form, exc.field or "kind").errors.append(exc.message)
        return _render_index(form, 400)
    if not enqueue_export(run.id):
        flash("The export is recorded but could not be queued (Redis is unreachable); start it again later.")
    return redirect(url_for("auditor.export_run", run_id=run.id))


@bp.get("/exports/<int:run_id>")
@require_permission("exports.run")
def export_run(run_id: int):
    run = db.get_or_404(ExportRun, run_id)
    db.session.rollback()
    return render_template("auditor/export.html", run=run, keep_days=current_settings().export_keep_days)


@bp.get("/exports/<int:run_id>/progress.json")
@require_permission("exports.run")
def export_progress(run_id: int):
    run = db.get_or_404(ExportRun, run_id)
    body = {
        "id": run.id,
        "status": run.status,
        "done": run.progress_done,
        "total": run.progress_total,
        "percent": run.percent,
        "sha256": run.sha256,
        "download_url": url_for("auditor.download_export", run_id=run.id) if run.status == "done" else None,
    }
    db.session.rollback()
    return jsonify(body)


@bp.get("/exports/<int:run_id>/download")
@require_permission("exports.run")
def download_export(run_id: int):
    try:
        run = open_for_download(db.session, run_id, Actor.user(current_user.id))
    except ExportExpired:
        abort(410)
    if run is None:
        abort(404)
    response = send_file(
        run.file_path,
        mimetype="application/octet-stream",
        as_attachment=True,
        download_name=run.file_name,
        conditional=False,
        max_age=0,
    )
    response.headers["X-Content-SHA256"] = run.sha256
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response

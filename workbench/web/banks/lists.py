"""Importing hash lists (with a progress page) and exporting a bank."""

from __future__ import annotations

from flask import abort, flash, jsonify, redirect, render_template, request, url_for

from workbench.extensions import csrf, db
from workbench.jobs.bank_imports import enqueue_import, import_job_state, start_import
from workbench.responses import export_response
from workbench.services.banks import imports as import_service
from workbench.services.banks.errors import ImportNotFound
from workbench.services.banks.exports import export_bank
from workbench.services.banks.import_files import FileTooLarge
from workbench.services.validation import ValidationFailed
from workbench.settings import current as current_settings
from workbench.web.banks.blueprint import bp
from workbench.web.banks.forms import ActionForm, ImportForm
from workbench.web.banks.routes import actor, bank_or_404, render_bank, show_field_error
from workbench.web.permissions import require_permission

MiB = 1024 * 1024
ERRORS_PER_PAGE = 100


def _import_or_404(bank, import_id: int):
    try:
        return import_service.get_import(db.session, bank, import_id)
    except ImportNotFound:
        abort(404)


@csrf.exempt  # checked by the form below, after the larger upload limit is set
@bp.post("/<int:bank_id>/imports")
@require_permission("banks.manage")
def start_import_view(bank_id: int):
    # Hash lists are larger than pictures: raise the limit before the body is read.
    request.max_content_length = current_settings().max_import_bytes + MiB
    bank = bank_or_404(bank_id)
    form = ImportForm()
    if not form.validate_on_submit():
        return render_bank(bank, import_form=form, status=400)
    upload = form.file.data
    try:
        if not upload:
            raise ValidationFailed("missing_field", "choose a file", "file")
        fields = {"format": form.format.data, "algorithm": form.algorithm.data, "source": form.source.data}
        bank_import, queued = start_import(db.session, bank, upload.stream, upload.filename or "", fields, actor())
    except FileTooLarge as exc:
        form.file.errors = [str(exc)]
    except ValidationFailed as exc:
        show_field_error(form, exc)
    else:
        if not queued:
            flash("The import is saved but could not be queued (Redis is unavailable): start it again below.")
        return redirect(url_for("banks.import_page", bank_id=bank.id, import_id=bank_import.id))
    return render_bank(bank, import_form=form, status=400)


@bp.get("/<int:bank_id>/imports/<int:import_id>")
@require_permission("banks.view")
def import_page(bank_id: int, import_id: int):
    bank = bank_or_404(bank_id)
    bank_import = _import_or_404(bank, import_id)
    after = request.args.get("after_line", "")
    errors = import_service.import_errors(
        db.session, bank_import, after_line=int(after) if after.isdigit() else 0, limit=ERRORS_PER_PAGE
    )
    return render_template(
        "banks/import.html",
        bank=bank,
        bank_import=bank_import,
        errors=errors,
        job_state=None if bank_import.is_final else import_job_state(bank_import.id),
        action_form=ActionForm(),
    )


@bp.get("/<int:bank_id>/imports/<int:import_id>/status.json")
@require_permission("banks.view")
def import_status(bank_id: int, import_id: int):
    bank_import = _import_or_404(bank_or_404(bank_id), import_id)
    return jsonify(
        {
            "status": bank_import.status,
            "percent": bank_import.percent,
            "lines_done": bank_import.lines_done,
            "total_lines": bank_import.total_lines,
            "added": bank_import.added,
            "already_present": bank_import.already_present,
            "duplicates_merged": bank_import.duplicates_merged,
            "bad_lines": bank_import.error_count,
            "final": bank_import.is_final,
            "error": bank_import.error,
        }
    )


@bp.post("/<int:bank_id>/imports/<int:import_id>/resume")
@require_permission("banks.manage")
def resume_import(bank_id: int, import_id: int):
    bank = bank_or_404(bank_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    bank_import = import_service.reopen(db.session, _import_or_404(bank, import_id), actor())
    if not bank_import.is_final and not enqueue_import(bank_import.id):
        flash("Could not queue the import (Redis is unavailable); try again in a moment.")
    return redirect(url_for("banks.import_page", bank_id=bank.id, import_id=bank_import.id))


@bp.get("/<int:bank_id>/export")
@require_permission("banks.manage")
def export(bank_id: int):
    bank = bank_or_404(bank_id)
    try:
        result = export_bank(
            db.session,
            bank,
            request.args.get("format", ""),
            actor(),
            algorithm=request.args.get("algorithm") or None,
            include_disabled=request.args.get("include_disabled") == "1",
        )
    except ValidationFailed as exc:
        flash(f"Export: {exc.message}")
        return redirect(url_for("banks.bank", bank_id=bank.id))
    return export_response(result)

"""Banks and their entries: list, create, edit, the bank page, add/disable/remove entries."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from workbench.audit import Actor
from workbench.extensions import db, get_redis
from workbench.services.banks import banks as bank_service
from workbench.services.banks import entries as entry_service
from workbench.services.banks import imports as import_service
from workbench.services.banks.errors import BankNotFound, EntryNotFound, InvalidHashLines
from workbench.services.banks.feed import latest_change_id
from workbench.services.banks.runtime import worker_feed_status
from workbench.services.intake.images import ImageRejected, check_image, image_limits
from workbench.services.validation import ValidationFailed
from workbench.settings import current as current_settings
from workbench.web.banks.blueprint import bp
from workbench.web.banks.forms import ActionForm, BankForm, ImageEntryForm, ImportForm, PasteForm
from workbench.web.banks.media_context import media_context
from workbench.web.banks.sharing import sharing_fields, with_owner_choices
from workbench.web.permissions import require_permission

PAGE_SIZE = 50


def actor() -> Actor:
    return Actor.user(current_user.id)


def bank_or_404(bank_id: int):
    try:
        return bank_service.get_bank(db.session, bank_id)
    except BankNotFound:
        abort(404)


def show_field_error(form, exc: ValidationFailed) -> None:
    field = getattr(form, exc.field or "", None)
    if field is not None and hasattr(field, "errors"):
        field.errors = list(field.errors) + [exc.message]
    else:
        form.form_errors.append(exc.message)


@bp.get("/")
@require_permission("banks.view")
def index():
    latest = latest_change_id(db.session)
    return render_template(
        "banks/index.html",
        banks=bank_service.list_banks(db.session),
        latest_change=latest,
        workers=worker_feed_status(get_redis()),
    )


@bp.route("/new", methods=["GET", "POST"])
@require_permission("banks.manage")
def create():
    form = with_owner_choices(BankForm())
    if form.validate_on_submit():
        try:
            fields = {**bank_service.parse_bank_fields(form.values(), partial=False), **sharing_fields(form)}
            bank = bank_service.create_bank(db.session, fields, actor())
        except ValidationFailed as exc:
            show_field_error(form, exc)
        else:
            flash(f"Bank “{bank.name}” created.")
            return redirect(url_for("banks.bank", bank_id=bank.id))
    return render_template("banks/form.html", form=form, bank=None), (400 if form.errors or form.form_errors else 200)


@bp.route("/<int:bank_id>/edit", methods=["GET", "POST"])
@require_permission("banks.manage")
def edit(bank_id: int):
    bank = bank_or_404(bank_id)
    form = with_owner_choices(BankForm(obj=bank))
    if form.validate_on_submit():
        try:
            fields = {**bank_service.parse_bank_fields(form.values(), partial=True), **sharing_fields(form)}
            bank_service.update_bank(db.session, bank, fields, actor())
        except ValidationFailed as exc:
            show_field_error(form, exc)
        else:
            flash("Bank saved. Every worker applies the change within a second.")
            return redirect(url_for("banks.bank", bank_id=bank.id))
    return render_template("banks/form.html", form=form, bank=bank), (400 if form.errors or form.form_errors else 200)


def _search_args() -> dict:
    before = request.args.get("before", "")
    return {
        "q": request.args.get("q", "")[:200],
        "algorithm": request.args.get("algorithm") or None,
        "status": request.args.get("status") or "all",
        "before": int(before) if before.isdigit() else None,
    }


def render_bank(
    bank, *, paste_form=None, image_form=None, import_form=None, paste_errors=None, media_forms=None, status: int = 200
):
    args = _search_args()
    search_error = None
    try:
        page = entry_service.search_entries(db.session, bank, limit=PAGE_SIZE, **args)
    except ValidationFailed as exc:
        search_error = exc.message
        page = entry_service.search_entries(db.session, bank, limit=PAGE_SIZE)
    return render_template(
        "banks/bank.html",
        summary=bank_service.bank_summary(db.session, bank),
        page=page,
        args=args,
        # The forms not being submitted start empty (not filled from another form's fields).
        search_error=search_error,
        paste_form=paste_form or PasteForm(formdata=None),
        image_form=image_form or ImageEntryForm(formdata=None),
        paste_errors=paste_errors or [],
        import_form=import_form or ImportForm(formdata=None),
        imports=import_service.list_imports(db.session, bank, limit=5),
        **media_context(bank, media_forms),
    ), status


@bp.get("/<int:bank_id>")
@require_permission("banks.view")
def bank(bank_id: int):
    return render_bank(bank_or_404(bank_id))


def _report_added(result) -> None:
    added, present = len(result.added), len(result.already_present)
    message = f"{added} hash(es) added"
    if present:
        message += f", {present} already in the bank (left as they were)"
    flash(message + ".")
    for warning in result.warnings:
        flash(warning)


@bp.post("/<int:bank_id>/entries/paste")
@require_permission("banks.manage")
def paste_entries(bank_id: int):
    bank = bank_or_404(bank_id)
    form = PasteForm()
    if form.validate_on_submit():
        try:
            specs = entry_service.parse_pasted_hashes(form.hashes.data, form.algorithm.data or None)
            result = entry_service.add_entries(
                db.session, bank, specs, actor(), note=form.note.data or "", source=form.source.data or "", how="paste"
            )
        except InvalidHashLines as exc:
            return render_bank(bank, paste_form=form, paste_errors=exc.errors, status=400)
        except ValidationFailed as exc:
            show_field_error(form, exc)
        else:
            _report_added(result)
            return redirect(url_for("banks.bank", bank_id=bank.id))
    return render_bank(bank, paste_form=form, status=400)


@bp.post("/<int:bank_id>/entries/image")
@require_permission("banks.manage")
def image_entries(bank_id: int):
    bank = bank_or_404(bank_id)
    form = ImageEntryForm()
    if form.validate_on_submit():
        settings = current_settings()
        upload = form.image.data
        try:
            if not upload:
                raise ValidationFailed("missing_field", "choose a picture", "image")
            data = upload.stream.read(settings.max_upload_bytes + 1)
            check_image(data, **image_limits(settings))
            specs, warnings = entry_service.specs_from_image(data, set(form.algorithms.data or []))
            if not specs:
                raise ValidationFailed("missing_field", "no hash left to add: " + " ".join(warnings), "algorithms")
            result = entry_service.add_entries(
                db.session, bank, specs, actor(), note=form.note.data or "", source=form.source.data or "", how="image"
            )
            result.warnings.extend(warnings)
        except ImageRejected as exc:
            form.image.errors = [exc.message]
        except ValidationFailed as exc:
            show_field_error(form, exc)
        else:
            _report_added(result)
            return redirect(url_for("banks.bank", bank_id=bank.id))
    return render_bank(bank, image_form=form, status=400)


def _checked_bank(bank_id: int):
    """The bank of a button form, after its CSRF token was checked."""
    bank = bank_or_404(bank_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    return bank


def _back_to_bank(bank):
    target = request.form.get("next") or ""
    return redirect(target if target.startswith("/banks/") else url_for("banks.bank", bank_id=bank.id))


def _entry_change(bank, entry_id: int, change, done: str):
    try:
        change()
    except EntryNotFound:
        abort(404)
    except ValidationFailed as exc:
        flash(exc.message)
    else:
        flash(done)
    return _back_to_bank(bank)


@bp.post("/<int:bank_id>/entries/<int:entry_id>/disable")
@require_permission("banks.manage")
def disable_entry(bank_id: int, entry_id: int):
    bank = _checked_bank(bank_id)
    return _entry_change(
        bank,
        entry_id,
        lambda: entry_service.set_entry_disabled(db.session, bank, entry_id, True, actor()),
        f"Entry {entry_id} disabled: it stops matching within a second.",
    )


@bp.post("/<int:bank_id>/entries/<int:entry_id>/enable")
@require_permission("banks.manage")
def enable_entry(bank_id: int, entry_id: int):
    bank = _checked_bank(bank_id)
    return _entry_change(
        bank,
        entry_id,
        lambda: entry_service.set_entry_disabled(db.session, bank, entry_id, False, actor()),
        f"Entry {entry_id} enabled.",
    )


@bp.post("/<int:bank_id>/entries/<int:entry_id>/remove")
@require_permission("banks.manage")
def remove_entry(bank_id: int, entry_id: int):
    bank = _checked_bank(bank_id)
    return _entry_change(
        bank,
        entry_id,
        lambda: entry_service.remove_entry(db.session, bank, entry_id, actor()),
        f"Entry {entry_id} removed.",
    )

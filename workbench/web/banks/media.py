"""Video entries, vPDQ settings and music reference tracks on a bank page.

An uploaded video or track is checked (its container, never decoded) and queued: a worker
hashes it and adds the entry (services/banks/media_upload_queue.py).
Tracks are removed with the bank page's usual Remove button (routes.remove_entry).
"""

from __future__ import annotations

from flask import abort, flash, redirect, url_for

from workbench.extensions import db
from workbench.jobs.media_uploads import enqueue_media_upload
from workbench.models import BankMediaUpload
from workbench.services.banks import media_upload_queue, media_uploads
from workbench.services.validation import ValidationFailed
from workbench.settings import current as current_settings
from workbench.web.banks.blueprint import bp
from workbench.web.banks.forms import ActionForm
from workbench.web.banks.media_forms import TrackForm, VideoEntryForm, VpdqSettingsForm
from workbench.web.banks.routes import actor, bank_or_404, render_bank, show_field_error
from workbench.web.permissions import require_permission


def _read_upload(field, limit: int) -> bytes | None:
    upload = field.data
    if not upload or not getattr(upload, "filename", ""):
        return None
    return upload.stream.read(limit + 1)  # one byte over: the service refuses it with a clear error


def _back(bank, anchor: str):
    return redirect(url_for("banks.bank", bank_id=bank.id) + anchor)


def _queued(bank, upload, anchor: str):
    what = "Video" if upload.kind == "video" else "Track"
    if enqueue_media_upload(upload.id):
        flash(f"{what} received (upload {upload.id}): a worker hashes it now; the entry appears here when it is done.")
    else:
        flash(f"{what} received (upload {upload.id}), but the job queue is unavailable: queue it again below.")
    return _back(bank, anchor)


@bp.post("/<int:bank_id>/entries/video")
@require_permission("banks.manage")
def video_entries(bank_id: int):
    bank = bank_or_404(bank_id)
    form = VideoEntryForm()
    if form.validate_on_submit():
        settings = current_settings()
        note, source = form.note.data or "", form.source.data or ""
        try:
            data = _read_upload(form.video, settings.max_video_bytes)
            text = (form.vpdq.data or "").strip()
            if data is not None and text:
                raise ValidationFailed("invalid_type", "upload a video or paste vPDQ lines, not both", "video")
            if data is not None:
                upload = media_upload_queue.queue_video_upload(
                    db.session, bank, actor(), data, settings, note=note, source=source or form.video.data.filename
                )
                return _queued(bank, upload, "#media-uploads")
            if text:
                entry = media_uploads.add_video_text(db.session, bank, actor(), text, note=note, source=source)
            else:
                raise ValidationFailed("missing_field", "choose a video or paste vPDQ lines", "video")
        except ValidationFailed as exc:
            db.session.rollback()
            show_field_error(form, exc)
        else:
            flash(f"Video added as entry {entry.id}." if entry else "This video is already in the bank.")
            return _back(bank, "#add-video")
    return render_bank(bank, media_forms={"video_form": form}, status=400)


@bp.post("/<int:bank_id>/vpdq-settings")
@require_permission("banks.manage")
def vpdq_settings(bank_id: int):
    bank = bank_or_404(bank_id)
    form = VpdqSettingsForm()
    if form.validate_on_submit():
        try:
            media_uploads.update_vpdq_settings(db.session, bank, form.values(), actor())
        except ValidationFailed as exc:
            db.session.rollback()
            show_field_error(form, exc)
        else:
            flash("vPDQ settings saved. Every worker applies them to the next video.")
            return _back(bank, "#vpdq-settings")
    return render_bank(bank, media_forms={"vpdq_form": form}, status=400)


@bp.post("/<int:bank_id>/tracks")
@require_permission("banks.manage")
def add_track(bank_id: int):
    bank = bank_or_404(bank_id)
    form = TrackForm()
    if form.validate_on_submit():
        settings = current_settings()
        try:
            data = _read_upload(form.track, settings.max_video_bytes)
            if data is None:
                raise ValidationFailed("missing_field", "choose an audio or video file", "track")
            upload = media_upload_queue.queue_track_upload(
                db.session,
                bank,
                actor(),
                data,
                settings,
                title=form.title.data,
                rights_holder=form.rights_holder.data,
                territories=form.territories.data or "",
                note=form.note.data or "",
                source=form.track.data.filename,
            )
        except ValidationFailed as exc:
            db.session.rollback()
            show_field_error(form, exc)
        else:
            return _queued(bank, upload, "#media-uploads")
    return render_bank(bank, media_forms={"track_form": form}, status=400)


@bp.post("/<int:bank_id>/media-uploads/<int:upload_id>/queue")
@require_permission("banks.manage")
def requeue_media_upload(bank_id: int, upload_id: int):
    bank = bank_or_404(bank_id)
    upload = db.session.get(BankMediaUpload, upload_id)
    if upload is None or upload.bank_id != bank.id:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    if upload.is_final:
        flash(f"Upload {upload.id} is already {upload.status}.")
        return _back(bank, "#media-uploads")
    return _queued(bank, upload, "#media-uploads")

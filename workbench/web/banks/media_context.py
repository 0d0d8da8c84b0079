"""What the video and music parts of a bank page need (rendered by routes.render_bank)."""

from __future__ import annotations

from workbench.extensions import db
from workbench.services.banks.media_upload_queue import recent_uploads
from workbench.services.banks.media_uploads import is_music_bank, list_tracks
from workbench.services.operations import capabilities
from workbench.web.banks.media_forms import TrackForm, VideoEntryForm, VpdqSettingsForm


def media_context(bank, forms: dict | None = None) -> dict:
    """The forms not being submitted start empty (the settings form from the bank's values)."""
    forms = forms or {}
    uploads = {"media_uploads": recent_uploads(db.session, bank)}  # hashed by a worker; shown until done
    if is_music_bank(bank):
        unavailable = (
            None
            if capabilities.is_available("music_fingerprinting")
            else capabilities.by_name("music_fingerprinting").missing_reason
        )
        return {
            "is_music": True,
            "track_form": forms.get("track_form") or TrackForm(formdata=None),
            "tracks": list_tracks(db.session, bank),
            "fingerprinting_unavailable": unavailable,
            **uploads,
        }
    return {
        "is_music": False,
        "video_form": forms.get("video_form") or VideoEntryForm(formdata=None),
        "vpdq_form": forms.get("vpdq_form") or VpdqSettingsForm(formdata=None, obj=bank),
        **uploads,
    }

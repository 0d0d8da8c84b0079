"""Issue 16, finding 5 (bank pages): an uploaded video or reference track is only checked in the
request (its container, never decoded); a worker decodes it, adds the entry, and deletes the file."""

from __future__ import annotations

import os

import pytest
from sqlalchemy import select

from classifiers.video.synthetic import make_clip
from tests.support.videos import clip_with_audio, garbled_pictures
from tests.workbench.banks.test_media_web import audit_actions, counts, make_bank, post_track, post_video, token
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import BankMediaUpload
from workbench.models.media import MusicTrack
from workbench.services.banks.media_upload_queue import media_store

sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def _stored_files(app) -> list[str]:
    root = media_store(workbench_settings.of(app)).root
    return [name for _, _, names in os.walk(root) for name in names] if root.exists() else []


def _upload(app, upload_id: int) -> BankMediaUpload:
    with app.app_context():
        upload = db.session.get(BankMediaUpload, upload_id)
        db.session.expunge(upload)
        return upload


def test_a_video_no_decoder_accepts_is_taken_by_the_request_and_refused_by_the_worker(app, client, auth, run_worker):
    bank_id = make_bank(app, "terrorism")
    auth.login("admin")
    response = post_video(client, bank_id, garbled_pictures(make_clip(8, 2.0, width=96, height=64, fps=8)))
    assert response.status_code == 302  # the request never decoded the pictures
    assert _upload(app, 1).status == "queued" and len(_stored_files(app)) == 1
    run_worker()
    upload = _upload(app, 1)
    assert upload.status == "failed" and "could not be decoded" in upload.error and upload.entry_id is None
    assert counts(app) == (0, 0, 0, 0) and _stored_files(app) == []
    assert [action for action, _ in audit_actions(app)] == ["bank.media_upload_queued", "bank.media_upload_failed"]
    page = client.get(f"/banks/{bank_id}").get_data(as_text=True)
    assert 'id="media-uploads"' in page and "failed: the video could not be decoded" in page
    assert "Queue again" not in page  # a failed upload is final


@sqlite_only
def test_a_long_reference_track_is_fingerprinted_up_to_the_audio_cap(app, client, auth, run_worker):
    bank_id = make_bank(app, "music")
    auth.login("admin")
    workbench_settings.update(app, WORKBENCH_MAX_AUDIO_SECONDS=6.0)  # a track needs a few seconds to fingerprint at all
    response = post_track(client, bank_id, clip_with_audio(video_s=1.0, audio_s=12.0), title="Long song")
    assert response.status_code == 302, response.get_data(as_text=True)
    run_worker()
    with app.app_context():
        track = db.session.scalar(select(MusicTrack))
        assert track.title == "Long song" and track.duration_s == 6.0
    assert _upload(app, 1).status == "done" and _stored_files(app) == []


@sqlite_only
def test_an_upload_can_be_queued_again_until_it_is_done_and_is_hashed_once(app, client, auth, run_worker):
    bank_id = make_bank(app, "other")
    auth.login("admin")
    assert post_video(client, bank_id, make_clip(9, 3.0, width=96, height=64, fps=8, audio=False)).status_code == 302
    again = client.post(f"/banks/{bank_id}/media-uploads/1/queue", data={"csrf_token": token(client, bank_id)})
    assert again.status_code == 302
    run_worker()
    assert _upload(app, 1).status == "done" and counts(app)[0] == 1
    done = client.post(f"/banks/{bank_id}/media-uploads/1/queue", data={"csrf_token": token(client, bank_id)})
    assert "Upload 1 is already done." in client.get(done.headers["Location"]).get_data(as_text=True)
    assert client.post(f"/banks/{bank_id}/media-uploads/1/queue").status_code == 400  # no CSRF token
    other_bank = make_bank(app, "spam")
    assert (
        client.post(
            f"/banks/{other_bank}/media-uploads/1/queue", data={"csrf_token": token(client, other_bank)}
        ).status_code
        == 404
    )
    added = [payload for action, payload in audit_actions(app) if action == "bank.entry_added"]
    assert len(added) == 1 and added[0]["algorithm"] == "vpdq"  # queued twice, hashed and added once

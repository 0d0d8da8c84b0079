"""The video and music parts of the bank pages: video uploads and pasted vPDQ, vPDQ settings,
reference tracks with their territories, escaping, permissions, and nothing written on a refusal."""

from __future__ import annotations

import io
import json

import pytest
from sqlalchemy import func, select

from classifiers.video.synthetic import make_clip, transcode
from classifiers.video.vpdq import hash_frames
from tests.support.auth import csrf_token_from
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import AuditEvent, BankChange, BankEntry, HashBank
from workbench.models.media import BankVideoFrame, MusicTrack
from workbench.services.banks.media_matching import match_video_entries, media_index_for

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
sqlite_only = pytest.mark.parametrize("backend", ["sqlite"], indirect=True)


def make_bank(app, kind: str, name: str | None = None) -> int:
    with app.app_context():
        bank = HashBank(name=name or f"{kind}-bank", kind=kind)
        db.session.add(bank)
        db.session.commit()
        return bank.id


def token(client, bank_id: int) -> str:
    return csrf_token_from(client.get(f"/banks/{bank_id}").get_data(as_text=True))


def counts(app) -> tuple[int, int, int, int]:
    with app.app_context():
        return tuple(
            db.session.scalar(select(func.count()).select_from(model))
            for model in (BankEntry, BankVideoFrame, MusicTrack, BankChange)
        )


def audit_actions(app) -> list[tuple[str, dict]]:
    with app.app_context():
        rows = db.session.execute(select(AuditEvent.action, AuditEvent.payload).order_by(AuditEvent.id))
        return [(action, json.loads(payload)) for action, payload in rows if action.startswith("bank.")]


def post_video(client, bank_id: int, data: bytes | None = None, vpdq: str = "", **fields):
    form = {"csrf_token": token(client, bank_id), "vpdq": vpdq, "note": "", "source": "", **fields}
    if data is not None:
        form["video"] = (io.BytesIO(data), "known.mp4")
    return client.post(f"/banks/{bank_id}/entries/video", data=form, content_type="multipart/form-data")


def post_track(client, bank_id: int, data: bytes, **fields):
    form = {
        "csrf_token": token(client, bank_id),
        "title": "Song",
        "rights_holder": "Label",
        "territories": "FR US",
        "note": "",
        **fields,
        "track": (io.BytesIO(data), "song.mp4"),
    }
    return client.post(f"/banks/{bank_id}/tracks", data=form, content_type="multipart/form-data")


def test_an_uploaded_video_is_listed_audited_and_matches_a_reencoded_copy(app, client, auth, run_worker):
    bank_id = make_bank(app, "terrorism")
    auth.login("admin")
    # A clip whose sampled frames all keep their detail through the re-encode below (in many seeds
    # the frame at 2 s is nearly flat, so whether it counts turns on one point of PDQ quality).
    original = make_clip(39, 4.0, width=128, height=96, fps=8, audio=False)
    response = post_video(client, bank_id, original, note="known clip")
    assert response.status_code == 302, response.get_data(as_text=True)
    assert "Video received (upload 1)" in client.get(response.headers["Location"]).get_data(as_text=True)
    assert counts(app) == (0, 0, 0, 0)  # the request only checked the container; a worker decodes
    run_worker()
    page = client.get(f"/banks/{bank_id}").get_data(as_text=True)
    assert "done: entry 1" in page and "known clip" in page and "vpdq" in page and 'id="add-video"' in page
    entries, frames, _, changes = counts(app)
    assert entries == 1 and frames >= 3 and changes == 1
    queued, (action, payload), done = audit_actions(app)
    assert (queued[0], done[0]) == ("bank.media_upload_queued", "bank.media_upload_done")
    assert action == "bank.entry_added" and payload["algorithm"] == "vpdq" and payload["frames"] == frames

    copy = transcode(original, container="webm", size=(112, 84), brightness=12)
    with app.app_context():
        index = media_index_for(app)
        index.ensure_fresh(db.session)
        hits = match_video_entries(db.session, index, hash_frames(copy))
        entry_id = db.session.scalar(select(BankEntry.id))
        unrelated = match_video_entries(
            db.session, index, hash_frames(make_clip(32, 3.0, width=128, height=96, fps=8, audio=False))
        )
    assert [hit.hit.entry_id for hit in hits] == [entry_id]
    assert unrelated == []

    # The same video again: nothing new is written.
    response = post_video(client, bank_id, original)
    run_worker()
    assert response.status_code == 302 and counts(app)[:2] == (entries, frames)
    assert "done: already in the bank" in client.get(f"/banks/{bank_id}").get_data(as_text=True)


@sqlite_only
def test_bad_uploads_and_bad_vpdq_lines_are_form_errors_and_write_nothing(app, client, auth):
    bank_id = make_bank(app, "other")
    auth.login("admin")
    good = f"{PDQ},100,0.000\n{PDQ[:-1]}0,90,1.000\n"
    response = post_video(client, bank_id, vpdq=good + "<script>zz</script>,50,2.0\n")
    html = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "line 3" in html and "&lt;script&gt;zz&lt;/script&gt;" in html and "<script>zz" not in html
    assert "64 hex" in html
    response = post_video(client, bank_id, vpdq=good + f"{PDQ},101,2.0")
    assert response.status_code == 400 and "line 3" in response.get_data(as_text=True)
    for data, message in (
        (b"GIF89a" + b"\0" * 64, "only MP4, MOV and WebM"),
        (make_clip(1, 2.0, width=64, height=48, audio=False)[:3000], "could not be decoded"),
    ):
        response = post_video(client, bank_id, data)
        assert response.status_code == 400 and message in response.get_data(as_text=True)
    response = post_video(client, bank_id)
    assert response.status_code == 400 and "choose a video or paste vPDQ lines" in response.get_data(as_text=True)
    workbench_settings.update(app, WORKBENCH_MAX_VIDEO_BYTES=100)
    response = post_video(client, bank_id, make_clip(1, 1.0, width=64, height=48, audio=False))
    assert response.status_code == 400 and "exceeds 100 bytes" in response.get_data(as_text=True)
    assert counts(app) == (0, 0, 0, 0) and audit_actions(app) == []

    response = post_video(client, bank_id, vpdq=good, note="from a partner")
    assert response.status_code == 302
    assert counts(app)[:2] == (1, 2)


@sqlite_only
def test_vpdq_settings_are_validated_saved_and_audited(app, client, auth):
    bank_id = make_bank(app, "spam")
    auth.login("admin")

    def post(**values):
        form = {
            "csrf_token": token(client, bank_id),
            "pdq_threshold": "31",
            "vpdq_quality": "50",
            "vpdq_query_match_pct": "80",
            "vpdq_compared_match_pct": "0",
            **values,
        }
        return client.post(f"/banks/{bank_id}/vpdq-settings", data=form)

    for bad in (
        {"pdq_threshold": "65"},
        {"vpdq_quality": "-1"},
        {"vpdq_query_match_pct": "0"},
        {"vpdq_compared_match_pct": "100.5"},
        {"vpdq_query_match_pct": "nan"},
        {"vpdq_quality": "high"},
    ):
        response = post(**bad)
        assert response.status_code == 400, bad
        assert 'role="alert"' in response.get_data(as_text=True)
    assert audit_actions(app) == []
    response = post(pdq_threshold="20", vpdq_quality="60", vpdq_query_match_pct="75.5", vpdq_compared_match_pct="10")
    assert response.status_code == 302
    with app.app_context():
        bank = db.session.get(HashBank, bank_id)
        assert (bank.pdq_threshold, bank.vpdq_quality, bank.vpdq_query_match_pct, bank.vpdq_compared_match_pct) == (
            20,
            60,
            75.5,
            10.0,
        )
    ((action, payload),) = audit_actions(app)
    assert action == "bank.updated" and payload["changes"]["vpdq_query_match_pct"] == [80.0, 75.5]
    assert "query match ≥ 75.5%" in client.get(f"/banks/{bank_id}").get_data(as_text=True)


@sqlite_only
def test_music_tracks_are_added_listed_with_territories_and_removed(app, client, auth, run_worker):
    bank_id = make_bank(app, "music")
    auth.login("admin")
    song = make_clip(0, 6.0, width=32, height=32, fps=2, music_seed=41)
    page = client.get(f"/banks/{bank_id}").get_data(as_text=True)
    assert 'id="add-track"' in page and 'id="add-video"' not in page  # a music bank holds tracks, not videos

    response = post_track(client, bank_id, song, territories="fr, us XX1")
    assert response.status_code == 400 and "XX1" in response.get_data(as_text=True)
    response = post_track(client, bank_id, song, territories="DE <b>x</b>")
    html = response.get_data(as_text=True)
    assert response.status_code == 400 and "&lt;B&gt;X&lt;/B&gt;" in html and "<B>X" not in html
    response = post_track(client, bank_id, make_clip(2, 2.0, width=32, height=32, fps=2, audio=False))
    assert response.status_code == 400 and "no audio track" in response.get_data(as_text=True)
    response = post_track(client, bank_id, song, title="")
    assert response.status_code == 400
    assert counts(app) == (0, 0, 0, 0)

    response = post_track(
        client, bank_id, song, title="<i>Chords</i>", rights_holder="Example & Sons", territories="us fr, de"
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    run_worker()
    page = client.get(f"/banks/{bank_id}").get_data(as_text=True)
    assert "&lt;i&gt;Chords&lt;/i&gt;" in page and "Example &amp; Sons" in page and "DE FR US" in page
    with app.app_context():
        track = db.session.scalar(select(MusicTrack))
        assert track.territories == ["DE", "FR", "US"]
        entry_id = track.entry_id
    response = client.post(f"/banks/{bank_id}/entries/{entry_id}/remove", data={"csrf_token": token(client, bank_id)})
    assert response.status_code == 302
    assert counts(app)[:3] == (0, 0, 0)
    assert [action for action, _ in audit_actions(app)] == [
        "bank.media_upload_queued",
        "bank.entry_added",
        "bank.media_upload_done",
        "bank.entry_removed",
    ]
    assert "No reference tracks." in client.get(f"/banks/{bank_id}").get_data(as_text=True)


@sqlite_only
def test_a_plain_mp3_track_is_accepted_and_a_text_file_is_refused(app, client, auth, run_worker):
    from classifiers.video.synthetic import audio_file, chord_track

    bank_id = make_bank(app, "music")
    auth.login("admin")
    response = post_track(client, bank_id, b"ID3 but not really an mp3 file at all" * 10)
    assert response.status_code == 400 and counts(app) == (0, 0, 0, 0)
    response = post_track(client, bank_id, b"just some text, not audio" * 10)
    assert response.status_code == 400 and "MP3, WAV" in response.get_data(as_text=True)
    response = post_track(client, bank_id, audio_file(chord_track(3, 8.0), "mp3"), title="Plain MP3")
    assert response.status_code == 302, response.get_data(as_text=True)
    run_worker()
    with app.app_context():
        assert db.session.scalar(select(MusicTrack.title)) == "Plain MP3"


@sqlite_only
def test_only_bank_managers_may_add_videos_tracks_or_change_settings(app, client, auth):
    video_bank, music_bank = make_bank(app, "other"), make_bank(app, "music")
    auth.login("policy_editor")
    page = client.get(f"/banks/{video_bank}").get_data(as_text=True)
    assert 'id="add-video"' not in page and 'id="vpdq-settings"' not in page
    csrf = token(client, video_bank)  # the logout form's token
    for path in (
        f"/banks/{video_bank}/entries/video",
        f"/banks/{video_bank}/vpdq-settings",
        f"/banks/{music_bank}/tracks",
    ):
        assert client.post(path, data={"csrf_token": csrf, "vpdq": f"{PDQ},100,0"}).status_code == 403
    assert counts(app) == (0, 0, 0, 0)

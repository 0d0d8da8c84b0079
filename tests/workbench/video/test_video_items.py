"""Video items through the API and the real pipeline: validation, vPDQ, frames against
image banks, music references, and NudeNet on sampled frames."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from classifiers.hashing.compute import hash_image
from classifiers.video.media import frames_at
from classifiers.video.synthetic import make_clip, transcode
from classifiers.video.vpdq import hash_frames
from tests.workbench.video.conftest import post_video
from workbench import settings as workbench_settings
from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import Blob, HashBank, HashMatch, Item, ItemSignal
from workbench.models.media import ItemVideoFrame, MediaMatchDetail
from workbench.services.banks.media_entries import add_music_entry, add_video_entry

ACTOR = Actor.system("test")


def _blob_count(app) -> tuple[int, int, int]:
    import os

    with app.app_context():
        files = sum(len(names) for _, _, names in os.walk(workbench_settings.of(app).blob_dir) if ".locks" not in _)
        return (
            db.session.scalar(select(func.count()).select_from(Item)),
            db.session.scalar(select(func.count()).select_from(Blob)),
            files,
        )


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_corrupt_truncated_oversized_and_foreign_videos_get_a_4xx(app, api):
    clip = make_clip(1, 2.0, width=96, height=64, audio=False)
    cases = {
        "truncated": (clip[: len(clip) // 2], 422, "corrupt_video"),
        "garbage after the header": (clip[:32] + bytes(range(256)) * 20, 422, "corrupt_video"),
        "not a video": (b"GIF89a" + b"\0" * 100, 415, "unsupported_media_type"),
        "empty": (b"", 400, "empty_file"),
    }
    for name, (data, status, code) in cases.items():
        response = post_video(api, data, external_id=f"bad-{name}", author_id="u1", country="DE")
        assert response.status_code == status, (name, response.json)
        assert response.json["error"]["code"] == code
    workbench_settings.update(app, WORKBENCH_MAX_VIDEO_BYTES=len(clip) - 1)
    response = post_video(api, clip, external_id="too-big", author_id="u1", country="DE")
    assert response.status_code == 413 and response.json["error"]["code"] == "file_too_large"
    workbench_settings.update(app, WORKBENCH_MAX_VIDEO_BYTES=10**8)
    workbench_settings.update(app, WORKBENCH_MAX_VIDEO_SECONDS=1.0)
    response = post_video(api, clip, external_id="too-long", author_id="u1", country="DE")
    assert response.status_code == 413 and response.json["error"]["code"] == "video_too_long"
    assert _blob_count(app) == (0, 0, 0)  # no half-written row, no leftover blob


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_video_is_hashed_matched_and_classified_end_to_end(app, api, run_worker):
    original = make_clip(11, 12.0, width=160, height=120, fps=8, music_seed=21)
    still = frames_at(original, [4500])[0].rgb  # a known picture shown inside the video
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(still).save(buffer, "PNG")
    song = make_clip(0, 16.0, width=64, height=48, fps=4, music_seed=21)  # the reference track
    with app.app_context():
        banks = {kind: HashBank(name=f"{kind}-bank", kind=kind) for kind in ("terrorism", "music", "other")}
        db.session.add_all(banks.values())
        db.session.flush()
        add_video_entry(db.session, banks["terrorism"], ACTOR, frames=hash_frames(original))
        add_music_entry(
            db.session,
            banks["music"],
            ACTOR,
            data=song,
            title="Chords No. 21",
            rights_holder="Example Records",
            territories="FR US",
        )
        db.session.add(
            __import__("workbench.models", fromlist=["BankEntry"]).BankEntry(
                bank_id=banks["other"].id, algorithm="pdq", value=hash_image(buffer.getvalue()).pdq
            )
        )
        db.session.commit()

    copy = transcode(original, container="webm", size=(200, 150), brightness=25, start_s=1.0)
    unrelated = make_clip(12, 6.0, width=160, height=120, fps=8, music_seed=22)
    first = post_video(
        api, copy, filename="copy.webm", external_id="v-copy", author_id="u1", country="DE", text="look at this"
    )
    second = post_video(api, unrelated, external_id="v-other", author_id="u1", country="FR")
    assert first.status_code == 201 and second.status_code == 201, (first.json, second.json)
    run_worker()

    with app.app_context():
        copy_item = db.session.get(Item, first.json["id"])
        assert copy_item.kind == "video" and copy_item.status == "processed", copy_item.error
        matches = {
            (m.algorithm, db.session.get(HashBank, m.bank_id).kind)
            for m in db.session.scalars(select(HashMatch).where(HashMatch.item_id == copy_item.id))
        }
        assert ("vpdq", "terrorism") in matches
        assert ("pdq", "other") in matches  # the still inside the video
        assert ("chromaprint", "music") in matches  # the song under the video
        details = {
            d.algorithm: d
            for d in db.session.scalars(select(MediaMatchDetail).where(MediaMatchDetail.item_id == copy_item.id))
        }
        assert details["vpdq"].query_match_pct >= 80.0
        assert details["chromaprint"].matched_s >= 5.0
        signals = {
            (s.classifier, s.label): s
            for s in db.session.scalars(select(ItemSignal).where(ItemSignal.item_id == copy_item.id))
        }
        assert signals[("music", "music_match")].score == 1.0
        assert signals[("music", "music_unlicensed")].score == 1.0  # licensed in FR and US, not DE
        assert signals[("vpdq", "vpdq_match")].score >= 0.8
        exposed = signals[("nudenet", "exposed")]
        assert "time_ms" in json.loads(exposed.detail or "{}") or exposed.score == 0.0
        assert (
            any(
                classifier == "text" or classifier.startswith("profanity") or classifier == "offline_text"
                for classifier, _ in signals
            )
            or copy_item.text
        )
        assert (
            db.session.scalar(
                select(func.count()).select_from(ItemVideoFrame).where(ItemVideoFrame.item_id == copy_item.id)
            )
            >= 5
        )

        other_item = db.session.get(Item, second.json["id"])
        assert other_item.status == "processed"
        assert db.session.scalars(select(HashMatch).where(HashMatch.item_id == other_item.id)).all() == []

        from workbench.models import Case

        case = db.session.scalar(select(Case).where(Case.item_id == copy_item.id))
        assert case is not None  # the terrorism video match (DE pack) queues it
        case_id = case.id
    _check_case_page(app, api, case_id)


def _check_case_page(app, api, case_id: int) -> None:
    from tests.support.auth import AuthHelper

    client = app.test_client()
    AuthHelper(client, app).login("moderator", "vmod")
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert f'src="/cases/{case_id}/video"' in html and " muted" in html
    assert 'id="video-strip"' in html and html.count("wb-media wb-blur wb-gray") >= 9  # player + 8 frames
    video = client.get(f"/cases/{case_id}/video")
    assert video.status_code == 200 and video.mimetype == "video/webm"
    assert video.headers["X-Content-Type-Options"] == "nosniff"
    frame = client.get(f"/cases/{case_id}/frames/0")
    assert frame.status_code == 200 and frame.mimetype == "image/jpeg" and frame.data[:3] == b"\xff\xd8\xff"
    assert client.get(f"/cases/{case_id}/frames/99").status_code == 404
    assert app.test_client().get(f"/cases/{case_id}/frames/0").status_code in (302, 401)  # not signed in

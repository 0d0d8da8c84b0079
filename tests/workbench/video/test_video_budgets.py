"""Issue 16, finding 5 (video and audio): the upload request only probes the container and
refuses past the limits; decoding happens in the worker, which caps the audio it decodes."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from classifiers.video.synthetic import make_clip
from tests.support.videos import clip_with_audio, garbled_pictures, high_rate_clip
from tests.workbench.video.conftest import post_video
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import AuditEvent, Blob, Item


@pytest.fixture
def app(backend, request, tmp_path, redis_server):
    """No classifiers: these tests are about what the request and the hash stage decode."""
    from tests.support.apps import make_test_app

    with make_test_app(backend, tmp_path, redis_server, request) as test_app:
        yield test_app


def _hash_summary(app, item_id: int) -> dict:
    with app.app_context():
        payloads = db.session.scalars(
            select(AuditEvent.payload).where(
                AuditEvent.action == "item.stage_completed", AuditEvent.object_id == str(item_id)
            )
        ).all()
    return next(s for s in map(json.loads, payloads) if s.get("stage") == "hash")


def _nothing_stored(app) -> bool:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Item))
            == 0
            == db.session.scalar(select(func.count()).select_from(Blob))
        )


def test_the_upload_only_probes_and_the_worker_decodes(app, api, run_worker):
    """Pictures no decoder accepts, in a sound container: the request (which never decodes)
    takes it; the worker's decode finds the damage and records it on the item."""
    garbled = garbled_pictures(make_clip(7, 2.0, width=96, height=64, fps=8))
    response = post_video(api, garbled, external_id="garbled", author_id="u1", country="DE")
    assert response.status_code == 201, response.json
    with app.app_context():
        blob = db.session.scalar(select(Blob))
        assert (blob.width, blob.height, blob.frames) == (96, 64, 16)  # from the container, not a decode
    run_worker()
    with app.app_context():
        item = db.session.get(Item, response.json["id"])
        assert item.status == "processed", item.error
    summary = _hash_summary(app, response.json["id"])
    assert summary["video_frames"] == 0 and "could not be decoded" in summary["perceptual_error"]


def test_a_sound_track_longer_than_the_limit_is_refused_at_upload(app, api):
    workbench_settings.update(app, WORKBENCH_MAX_VIDEO_SECONDS=3.0)
    response = post_video(
        api, clip_with_audio(video_s=1.0, audio_s=6.0), external_id="long-audio", author_id="u1", country="DE"
    )
    assert response.status_code == 413 and response.json["error"]["code"] == "video_too_long"
    assert _nothing_stored(app)


@pytest.mark.parametrize("container", ["mp4", "webm"])
def test_more_frames_than_the_limit_allows_are_refused_at_upload(app, api, container):
    workbench_settings.update(app, WORKBENCH_MAX_VIDEO_SECONDS=1.2)  # at most 1.2 s x 240 frames/s = 289 frames
    response = post_video(
        api,
        high_rate_clip(300, 300, container),
        filename=f"fast.{container}",
        external_id=f"fast-{container}",
        author_id="u1",
        country="DE",
    )
    assert response.status_code == 413 and response.json["error"]["code"] == "too_many_frames"
    assert _nothing_stored(app)


def test_the_worker_fingerprints_a_long_sound_track_only_up_to_the_cap(app, api, run_worker):
    workbench_settings.update(app, WORKBENCH_MAX_AUDIO_SECONDS=4.0)  # Chromaprint needs 3 s or more
    response = post_video(
        api, clip_with_audio(video_s=8.0, audio_s=8.0), external_id="song", author_id="u1", country="DE"
    )
    assert response.status_code == 201, response.json
    run_worker()
    summary = _hash_summary(app, response.json["id"])
    assert summary["audio_fingerprinted"] is True
    assert summary["audio_seconds"] == 4.0 and summary["audio_capped"] is True

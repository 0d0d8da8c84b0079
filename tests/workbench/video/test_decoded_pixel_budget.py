"""Issue 16, finding 5: a budget for the pixels the workers will decode (width x height x frames,
declared by the container or counted from its packets), checked in the upload request from the
probe's metadata, nothing decoded. The clips are real: one encoded picture and then the same
"nothing changed" packet again and again, so a file of a few hundred KiB holds as many full-size
frames as a decoder would produce."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from classifiers.video.synthetic import make_clip
from tests.support.videos import repeated_picture_clip
from tests.workbench.video.conftest import post_video
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import Blob, Item


@pytest.fixture
def app(backend, request, tmp_path, redis_server):
    """The default limits, no classifiers: these tests are about the upload request."""
    from tests.support.apps import make_test_app

    with make_test_app(backend, tmp_path, redis_server, request) as test_app:
        yield test_app


def _stored(app) -> tuple[int, int]:
    with app.app_context():
        return (
            db.session.scalar(select(func.count()).select_from(Item)),
            db.session.scalar(select(func.count()).select_from(Blob)),
        )


@pytest.mark.parametrize("container, how", [("mp4", "declared"), ("webm", "counted")])
def test_a_small_file_that_would_decode_billions_of_pixels_is_refused(app, api, container, how):
    """A minute of 1080p at 240 frames a second: under every other limit (60 s of 180, 14,400
    frames of 43,201, a 1080p picture), 30 G pixels to decode, in well under a MiB."""
    clip = repeated_picture_clip(1920, 1080, 240, 14_400, container)
    assert len(clip) < 1024 * 1024
    response = post_video(
        api, clip, filename=f"slow-motion.{container}", external_id=f"slomo-{container}", author_id="u1", country="DE"
    )
    assert response.status_code == 413, response.json
    error = response.json["error"]
    assert error["code"] == "video_too_large" and error["field"] == "video"
    assert how in error["message"] and "decoded pixels" in error["message"]  # the MP4 declares its frames
    assert _stored(app) == (0, 0)  # no half-written row, no blob


def test_three_minutes_of_phone_video_fit_the_default_budget(app, api):
    """1080p for the full 180 s, at 30 and at 60 frames a second (11.2 G and 22.4 G pixels)."""
    for fps in (30, 60):
        clip = repeated_picture_clip(1920, 1080, fps, 180 * fps)
        response = post_video(api, clip, external_id=f"phone-{fps}", author_id="u1", country="DE")
        assert response.status_code == 201, response.json
    assert _stored(app) == (2, 2)


@pytest.mark.parametrize("container", ["mp4", "webm"])
def test_the_budget_is_width_times_height_times_frames(app, api, container):
    clip = make_clip(5, 2.0, width=160, height=120, fps=8, container=container)  # 16 frames and sound
    workbench_settings.update(app, WORKBENCH_MAX_VIDEO_DECODED_PIXELS=160 * 120 * 16 - 1)
    response = post_video(
        api, clip, filename=f"clip.{container}", external_id=f"over-{container}", author_id="u1", country="DE"
    )
    assert response.status_code == 413 and response.json["error"]["code"] == "video_too_large"
    assert _stored(app) == (0, 0)
    workbench_settings.update(app, WORKBENCH_MAX_VIDEO_DECODED_PIXELS=160 * 120 * 16)
    response = post_video(
        api, clip, filename=f"clip.{container}", external_id=f"at-{container}", author_id="u1", country="DE"
    )
    assert response.status_code == 201, response.json

"""Video tests run the classify stage (NudeNet, the offline text model, langid) too."""

from __future__ import annotations

import io

import pytest


@pytest.fixture
def app(backend, request, tmp_path, redis_server):
    from tests.support.apps import make_test_app

    with make_test_app(
        backend,
        tmp_path,
        redis_server,
        request,
        WORKBENCH_CLASSIFIERS="text,nudenet,langid",
        WORKBENCH_MAX_VIDEO_SECONDS=30.0,
    ) as test_app:
        yield test_app


def post_video(api, data: bytes, filename: str = "clip.mp4", **fields):
    form = {key: str(value) for key, value in fields.items()}
    form["video"] = (io.BytesIO(data), filename)
    return api.client.post("/api/v1/items", data=form, content_type="multipart/form-data", headers=api.headers)

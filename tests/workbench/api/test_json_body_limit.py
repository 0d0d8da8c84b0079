"""JSON bodies have their own size limit (WORKBENCH_MAX_JSON_BYTES), far below the media one."""

from __future__ import annotations

import io
import json
import os

import requests
from PIL import Image
from sqlalchemy import select

from tests.support.browser import live_server
from tests.support.factories import text_item
from tests.workbench.api.test_bad_input import assert_error, nothing_written
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import Item

MiB = 1024 * 1024


def padded_item(size: int, external_id: str = "padded") -> bytes:
    """A valid text item, padded with whitespace (which JSON ignores) to exactly `size` bytes."""
    body = json.dumps(text_item(external_id)).encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


def test_the_default_is_one_mib(app):
    assert workbench_settings.of(app).max_json_bytes == MiB


def test_a_json_body_over_the_limit_is_refused_before_parsing(app, api):
    response = api.post_raw("/items", padded_item(2 * MiB))  # a valid item: only its size is wrong
    assert_error(response, 413, "payload_too_large")
    assert str(MiB) in response.json["error"]["message"]
    assert nothing_written(app)
    # The same on every JSON route (they all read bodies the same way).
    assert_error(api.post_raw("/reports", b"{" + b" " * (2 * MiB) + b"}"), 413, "payload_too_large")


def test_a_json_body_at_the_limit_is_read(app, api):
    response = api.post_raw("/items", padded_item(MiB))
    assert response.status_code == 201, response.json


def test_a_chunked_json_body_without_a_length_is_cut_off_at_the_limit(app, api):
    workbench_settings.update(app, WORKBENCH_MAX_JSON_BYTES=64 * 1024)
    body = padded_item(256 * 1024)

    def chunks():  # requests sends a generator with Transfer-Encoding: chunked, no Content-Length
        for start in range(0, len(body), 16 * 1024):
            yield body[start : start + 16 * 1024]

    headers = {**api.headers, "Content-Type": "application/json"}
    with live_server(app) as base_url:
        response = requests.post(f"{base_url}/api/v1/items", data=chunks(), headers=headers, timeout=30)
        assert response.status_code == 413, response.text
        assert response.json()["error"]["code"] == "payload_too_large"
        small = requests.post(
            f"{base_url}/api/v1/items", data=iter([padded_item(1000, "small")]), headers=headers, timeout=30
        )
        assert small.status_code == 201, small.text
    assert nothing_written_but(app, "small")


def nothing_written_but(app, external_id: str) -> bool:
    with app.app_context():
        return list(db.session.scalars(select(Item.external_id))) == [external_id]


def test_a_20_mib_image_upload_still_fits_the_media_limit(app, api):
    side = 2600  # 2600 x 2600 RGB of noise, stored: just under 20 MiB
    image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", compress_level=0)
    data = buffer.getvalue()
    assert 19 * MiB < len(data) <= workbench_settings.of(app).max_upload_bytes
    response = api.post_image(data, filename="big.png", external_id="big", author_id="u", country="DE")
    assert response.status_code == 201, response.json

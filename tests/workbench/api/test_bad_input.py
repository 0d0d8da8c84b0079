"""Bad input: a 4xx JSON error with a code, never a 500, never a row or blob left behind."""

from __future__ import annotations

import io
import os

import pytest
from PIL import Image
from sqlalchemy import func, select

from tests.support.factories import image_bytes, text_item
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import AuditEvent, Blob, Item, Report


def nothing_written(app) -> bool:
    with app.app_context():
        rows = sum(db.session.scalar(select(func.count()).select_from(m)) for m in (Item, Blob, Report))
        events = db.session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action != "api_client.created")
        )
    blob_dir = workbench_settings.of(app).blob_dir
    files = (
        [f for _, dirs, names in os.walk(blob_dir) for f in names if not _.endswith(".locks")]
        if os.path.isdir(blob_dir)
        else []
    )
    return rows == 0 and events == 0 and files == []


def assert_error(response, status: int, code: str):
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.is_json
    assert response.json["error"]["code"] == code
    assert response.json["error"]["message"]


@pytest.mark.parametrize("header", [None, "Bearer", "Bearer wrong", "Basic abc", "Bearer wb_abc_def"])
def test_missing_or_invalid_key_is_401(app, client, header):
    headers = {"Authorization": header} if header else {}
    response = client.post("/api/v1/items", json=text_item(), headers=headers)
    assert_error(response, 401, "unauthorized")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert nothing_written(app)


@pytest.mark.parametrize(
    "body, status, code",
    [
        ({"external_id": 5, "author_id": "u", "country": "DE", "text": "x"}, 400, "invalid_type"),
        ({"external_id": "a", "author_id": "u", "country": "DE", "text": ["x"]}, 400, "invalid_type"),
        (
            {"external_id": "a", "author_id": "u", "country": "DE", "text": "x", "account_age_days": "old"},
            400,
            "invalid_type",
        ),
        ({"external_id": "a", "author_id": "u", "country": "DE", "text": "x", "colour": "red"}, 400, "unknown_field"),
        ({"external_id": "a", "author_id": "u", "country": "XX", "text": "x"}, 400, "invalid_country"),
        ({"external_id": "a", "author_id": "u", "country": "DEU", "text": "x"}, 413, "too_long"),
        ({"external_id": "a", "author_id": "u", "country": "EU", "text": "x"}, 400, "invalid_country"),
        ({"external_id": "a", "author_id": "u", "text": "x"}, 400, "missing_field"),
        ({"external_id": "a", "author_id": "u", "country": "DE"}, 400, "missing_field"),
        ({"external_id": "a", "author_id": "u", "country": "DE", "text": "   "}, 400, "missing_field"),
        ({"external_id": "a", "author_id": "u", "country": "DE", "text": "nul\x00byte"}, 400, "invalid_text"),
        ({"external_id": "a", "author_id": "u", "country": "DE", "text": "lone \ud800 surrogate"}, 400, "invalid_text"),
        ({"external_id": "a\x07", "author_id": "u", "country": "DE", "text": "x"}, 400, "invalid_text"),
        (
            {"external_id": "a", "author_id": "u", "country": "DE", "text": "x", "language": "not a tag"},
            400,
            "invalid_language",
        ),
        (
            {"external_id": "a", "author_id": "u", "country": "DE", "text": "x", "content_date": "yesterday"},
            400,
            "invalid_date",
        ),
        (
            {"external_id": "a", "author_id": "u", "country": "DE", "text": "x", "content_date": "2999-01-01"},
            400,
            "invalid_date",
        ),
        (
            {"external_id": "a", "author_id": "u", "country": "DE", "text": "x", "content_date": "2026-01-01T10:00:00"},
            400,
            "invalid_date",
        ),
        ({"external_id": "x" * 256, "author_id": "u", "country": "DE", "text": "x"}, 413, "too_long"),
    ],
)
def test_invalid_fields(app, api, body, status, code):
    assert_error(api.post_json("/items", body), status, code)
    assert nothing_written(app)


def test_text_over_the_limit(app, api):
    limit = workbench_settings.of(app).max_text_chars
    assert_error(api.post_json("/items", text_item(text="é" * (limit + 1))), 413, "too_long")
    assert api.post_json("/items", text_item(text="é" * limit)).status_code == 201


@pytest.mark.parametrize(
    "raw, content_type, status, code",
    [
        (b"", "application/json", 400, "empty_body"),
        (b"   ", "application/json", 400, "empty_body"),
        (b'{"external_id": "\xff\xfe"}', "application/json", 400, "invalid_utf8"),
        (b"{not json", "application/json", 400, "invalid_json"),
        (b"[1, 2]", "application/json", 400, "invalid_json"),
        (b'{"a": NaN}', "application/json", 400, "invalid_json"),
        (b"[" * 100000, "application/json", 400, "invalid_json"),
        (b"external_id=a", "application/x-www-form-urlencoded", 415, "unsupported_media_type"),
        (b"hello", "text/plain", 415, "unsupported_media_type"),
    ],
)
def test_malformed_bodies(app, api, raw, content_type, status, code):
    assert_error(api.post_raw("/items", raw, content_type), status, code)
    assert nothing_written(app)


def _pdf() -> bytes:
    return b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def _truncated_png() -> bytes:
    data = image_bytes("PNG", size=(400, 300))
    return data[: len(data) // 2]


def _corrupt_jpeg() -> bytes:
    data = bytearray(image_bytes("JPEG", size=(200, 200)))
    data[200:600] = b"\x00" * 400
    return bytes(data[:700])


def _bomb_png(pixels: int) -> bytes:
    # A huge, highly compressible single-colour image: tiny file, enormous when decoded.
    side = int(pixels**0.5) + 1
    buffer = io.BytesIO()
    Image.new("1", (side, side)).save(buffer, "PNG", optimize=True)
    return buffer.getvalue()


@pytest.mark.parametrize(
    "make, filename, status, code",
    [
        (_pdf, "photo.jpg", 415, "unsupported_media_type"),
        (
            lambda: b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
            "a.png",
            415,
            "unsupported_media_type",
        ),
        (lambda: b"BM" + b"\x00" * 100, "a.bmp", 415, "unsupported_media_type"),
        (lambda: b"", "empty.png", 400, "empty_file"),
        (_truncated_png, "cut.png", 422, "corrupt_image"),
        (_corrupt_jpeg, "bad.jpg", 422, "corrupt_image"),
        (lambda: b"\x89PNG\r\n\x1a\n" + b"garbage" * 10, "fake.png", 422, "corrupt_image"),
        (lambda: b"RIFF\x00\x00\x00\x00WEBPVP8 " + b"\x00" * 20, "bad.webp", 422, "corrupt_image"),
    ],
)
def test_bad_images_are_rejected(app, api, make, filename, status, code):
    response = api.post_image(make(), filename=filename, external_id="img", author_id="u", country="DE")
    assert_error(response, status, code)
    assert nothing_written(app)


def test_decompression_bomb_is_rejected(app, api):
    data = _bomb_png(workbench_settings.of(app).max_image_pixels + 10_000)
    assert len(data) < 200_000
    response = api.post_image(data, external_id="bomb", author_id="u", country="DE")
    assert_error(response, 413, "image_too_large")
    assert nothing_written(app)


def test_file_over_the_size_limit(app, api):
    workbench_settings.update(app, WORKBENCH_MAX_UPLOAD_BYTES=10_000)
    noise = Image.effect_noise((200, 200), 80).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")
    assert len(buffer.getvalue()) > 10_000
    response = api.post_image(buffer.getvalue(), external_id="big", author_id="u", country="DE")
    assert_error(response, 413, "file_too_large")
    assert nothing_written(app)


def test_request_over_the_body_limit(app, api):
    app.config["MAX_CONTENT_LENGTH"] = 5_000
    response = api.post_image(b"\xff\xd8\xff" + b"\x00" * 10_000, external_id="big", author_id="u", country="DE")
    assert_error(response, 413, "payload_too_large")
    assert nothing_written(app)


@pytest.mark.parametrize(
    "form, code",
    [
        ({"author_id": "u", "country": "DE"}, "missing_field"),
        ({"external_id": "a", "author_id": "u", "country": "ZZ"}, "invalid_country"),
        ({"external_id": "a", "author_id": "u", "country": "DE", "extra": "1"}, "unknown_field"),
    ],
)
def test_bad_fields_with_a_good_image(app, api, form, code):
    response = api.post_image(image_bytes("PNG"), **form)
    assert_error(response, 400, code)
    assert nothing_written(app)


def test_multipart_without_an_image(app, api, client):
    response = client.post(
        "/api/v1/items",
        data={"external_id": "a", "author_id": "u", "country": "DE"},
        content_type="multipart/form-data",
        headers=api.headers,
    )
    assert_error(response, 400, "missing_field")
    assert nothing_written(app)


def test_image_in_json_is_refused(app, api):
    assert_error(api.post_json("/items", text_item(image="aGVsbG8=")), 400, "invalid_type")


def test_unknown_routes_and_methods_answer_json(app, api, client):
    assert_error(api.get("/nothing-here"), 404, "not_found")
    assert_error(client.delete("/api/v1/items", headers=api.headers), 405, "method_not_allowed")
    assert_error(api.get("/items/999999"), 404, "not_found")

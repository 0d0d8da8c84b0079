"""Reading request bodies strictly: valid UTF-8 JSON objects or multipart forms."""

from __future__ import annotations

import json
from typing import Any

from flask import request
from werkzeug.exceptions import RequestEntityTooLarge

from workbench.api.errors import ApiError
from workbench.settings import current as current_settings


def _reject_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _limited_body() -> bytes:
    """The body, refused before it is read (or, without a Content-Length, once it passes the
    limit) when over WORKBENCH_MAX_JSON_BYTES: MAX_CONTENT_LENGTH is sized for media uploads."""
    limit = current_settings().max_json_bytes
    too_large = ApiError(
        413, "payload_too_large", f"JSON bodies are limited to {limit} bytes; send media as multipart/form-data"
    )
    if request.content_length is not None and request.content_length > limit:
        raise too_large
    # A chunked body has no length: read at most one byte past the limit (Werkzeug stops
    # quietly at a maximum, so the extra byte is what tells a cut-off body from a whole one).
    request.max_content_length = min(limit + 1, request.max_content_length or limit + 1)
    try:
        raw = request.get_data(cache=True)
    except RequestEntityTooLarge as exc:
        raise too_large from exc
    if len(raw) > limit:
        raise too_large
    return raw


def json_object() -> dict[str, Any]:
    if not request.mimetype == "application/json":
        raise ApiError(415, "unsupported_media_type", "send application/json (or multipart/form-data with an image)")
    raw = _limited_body()
    if not raw.strip():
        raise ApiError(400, "empty_body", "the request body is empty")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ApiError(400, "invalid_utf8", f"the body is not valid UTF-8 (byte {exc.start})") from exc
    try:
        data = json.loads(text, parse_constant=_reject_constant)
    except (ValueError, RecursionError) as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON: {exc}") from exc
    if not isinstance(data, dict):
        raise ApiError(400, "invalid_json", "the body must be a JSON object")
    return data


def multipart_fields(file_fields: set[str]) -> tuple[dict[str, str], dict[str, Any]]:
    """Form fields (one value each) and the uploaded files named in `file_fields`."""
    fields: dict[str, str] = {}
    for name in request.form:
        values = request.form.getlist(name)
        if len(values) != 1:
            raise ApiError(400, "duplicate_field", f"'{name}' was sent {len(values)} times", name)
        fields[name] = values[0]
    files = {}
    for name in request.files:
        if name not in file_fields:
            raise ApiError(400, "unknown_field", f"unexpected file field '{name}'", name)
        uploads = request.files.getlist(name)
        if len(uploads) != 1:
            raise ApiError(400, "duplicate_field", f"send exactly one '{name}' file", name)
        files[name] = uploads[0]
    return fields, files

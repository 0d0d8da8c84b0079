"""Encoding test pictures to bytes (Pillow only, so the library suites use it without the app)."""

from __future__ import annotations

import io

from PIL import Image


def encode(image: Image.Image, fmt: str = "PNG", **params) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **params)
    return buffer.getvalue()

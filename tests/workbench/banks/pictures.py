"""Test pictures: random shapes on a gradient (distinct seeds give unrelated pictures,
with PDQ quality well above the matching floor), and the edits a re-upload goes through."""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from tests.support.images import encode


def scene(seed: int, size=(200, 160)) -> Image.Image:
    rng = np.random.default_rng(seed)
    width, height = size
    base = np.linspace(0, 255, width, dtype=np.float64)[None, :, None] * rng.uniform(0.2, 1, 3)
    image = Image.fromarray(np.broadcast_to(base, (height, width, 3)).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = rng.integers(0, width - 50), rng.integers(0, height - 40)
        box = (int(x0), int(y0), int(x0 + rng.integers(20, 80)), int(y0 + rng.integers(20, 60)))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return image


def picture(seed: int) -> bytes:
    return encode(scene(seed))


def near_duplicate(seed: int) -> bytes:
    """The same picture resized to 75% and re-encoded as a JPEG: other bytes, same look."""
    image = scene(seed)
    smaller = image.resize((image.width * 3 // 4, image.height * 3 // 4), Image.Resampling.LANCZOS)
    return encode(smaller, "JPEG", quality=70)


def flat_picture() -> bytes:
    """A single colour: PDQ quality 0, so its PDQ hash is recorded but never matched."""
    return encode(Image.new("RGB", (120, 90), (90, 140, 200)))

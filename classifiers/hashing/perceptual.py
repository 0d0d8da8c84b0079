"""pHash and dHash (64-bit) via `imagehash`, as 16 lowercase hex characters."""

from __future__ import annotations

import imagehash
from PIL import Image

from classifiers.hashing.images import load_rgb, to_rgb

# 8x8 = 64 bits, the size shared hash lists and our 64-bit index expect.
HASH_SIZE = 8


def phash_from_image(image: Image.Image) -> str:
    return str(imagehash.phash(to_rgb(image), hash_size=HASH_SIZE))


def dhash_from_image(image: Image.Image) -> str:
    return str(imagehash.dhash(to_rgb(image), hash_size=HASH_SIZE))


def phash_from_bytes(data: bytes) -> str:
    return phash_from_image(load_rgb(data))


def dhash_from_bytes(data: bytes) -> str:
    return dhash_from_image(load_rgb(data))

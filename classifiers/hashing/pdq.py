"""PDQ, Meta's 256-bit perceptual photo hash, via the `pdqhash` package.

The hex form follows ThreatExchange/HMA: the 256 bits pdqhash returns are read
most-significant first, so hashes computed here match shared hash lists.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pdqhash
from PIL import Image

from classifiers.hashing.images import image_to_array, load_rgb

# Below this quality (0-100) a PDQ hash is recorded but never matched: flat or
# tiny pictures give hashes that collide with many unrelated images.
MIN_QUALITY = 50


@dataclass(frozen=True)
class PdqResult:
    hash: str  # 64 lowercase hex characters
    quality: int  # 0..100

    @property
    def matchable(self) -> bool:
        return is_matchable_quality(self.quality)


def is_matchable_quality(quality: int) -> bool:
    return quality >= MIN_QUALITY


def bits_to_hex(bits: np.ndarray) -> str:
    """256 0/1 values, most significant first, as 64 hex characters."""
    return np.packbits(np.asarray(bits, dtype=np.uint8)).tobytes().hex()


def pdq_from_image(image: Image.Image) -> PdqResult:
    bits, quality = pdqhash.compute(image_to_array(image))
    return PdqResult(hash=bits_to_hex(bits), quality=int(quality))


def pdq_from_bytes(data: bytes) -> PdqResult:
    return pdq_from_image(load_rgb(data))

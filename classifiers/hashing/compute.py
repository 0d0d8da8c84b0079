"""All hashes of one uploaded image, computed from its bytes in one pass."""

from __future__ import annotations

from dataclasses import dataclass

from classifiers.hashing.crypto import md5_hex, sha256_hex
from classifiers.hashing.images import load_rgb
from classifiers.hashing.pdq import is_matchable_quality, pdq_from_image
from classifiers.hashing.perceptual import dhash_from_image, phash_from_image


@dataclass(frozen=True)
class ImageHashes:
    pdq: str
    pdq_quality: int
    phash: str
    dhash: str
    md5: str
    sha256: str

    @property
    def pdq_matchable(self) -> bool:
        """False when PDQ quality is below MIN_QUALITY: store the hash, skip matching."""
        return is_matchable_quality(self.pdq_quality)

    def as_dict(self) -> dict[str, str | int]:
        return {
            "pdq": self.pdq,
            "pdq_quality": self.pdq_quality,
            "phash": self.phash,
            "dhash": self.dhash,
            "md5": self.md5,
            "sha256": self.sha256,
        }


def hash_image(data: bytes) -> ImageHashes:
    """Decode `data` once and compute every hash. Raises ImageDecodeError."""
    image = load_rgb(data)
    pdq = pdq_from_image(image)
    return ImageHashes(
        pdq=pdq.hash,
        pdq_quality=pdq.quality,
        phash=phash_from_image(image),
        dhash=dhash_from_image(image),
        md5=md5_hex(data),
        sha256=sha256_hex(data),
    )

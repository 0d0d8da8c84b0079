"""Comparing two pictures by every algorithm, as an admin tuning thresholds would.

Nothing is stored: the bytes are hashed in memory, and the thumbnails the page shows are
re-encoded PNGs made here (never the uploaded bytes), so no hostile payload reaches a browser.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

from PIL import Image

from classifiers.hashing.compute import ImageHashes, hash_image
from classifiers.hashing.distance import DEFAULT_THRESHOLDS, EXACT_ALGORITHMS, hamming_distance
from classifiers.hashing.images import ImageDecodeError, load_rgb
from classifiers.hashing.pdq import MIN_QUALITY
from workbench.services.intake.images import ImageRejected, check_image
from workbench.services.validation import ValidationFailed

ALGORITHM_ORDER = ("pdq", "phash", "dhash", "md5", "sha256")
THUMBNAIL_PX = 240


@dataclass(frozen=True)
class AlgorithmComparison:
    algorithm: str
    a: str
    b: str
    distance: int  # Hamming distance; 0/1 (same/different) for exact hashes
    bits: int
    threshold: int
    would_match: bool
    note: str = ""


@dataclass(frozen=True)
class Comparison:
    rows: list[AlgorithmComparison]
    a_quality: int
    b_quality: int

    def as_dict(self) -> dict:
        return {
            "pdq_quality": {"a": self.a_quality, "b": self.b_quality},
            "algorithms": [row.__dict__ for row in self.rows],
        }


def _hashes(data: bytes, field: str, limits: dict) -> ImageHashes:
    try:
        check_image(data, **limits)  # size, type from the bytes, pixel budget, full decode
    except ImageRejected as exc:
        raise ValidationFailed(exc.code, f"'{field}': {exc.message}", field, exc.status) from exc
    try:
        return hash_image(data)
    except ImageDecodeError as exc:
        raise ValidationFailed("corrupt_image", f"'{field}' could not be decoded: {exc}", field, 422) from exc


def compare_images(a: bytes, b: bytes, *, limits: dict, thresholds: dict[str, int] | None = None) -> Comparison:
    thresholds = {**DEFAULT_THRESHOLDS, **(thresholds or {})}
    first, second = _hashes(a, "image_a", limits), _hashes(b, "image_b", limits)
    rows = []
    for algorithm in ALGORITHM_ORDER:
        x, y = getattr(first, algorithm), getattr(second, algorithm)
        if algorithm in EXACT_ALGORITHMS:
            distance = 0 if x == y else 1
            rows.append(
                AlgorithmComparison(
                    algorithm,
                    x,
                    y,
                    distance,
                    len(x) * 4,
                    0,
                    distance == 0,
                    "identical bytes" if distance == 0 else "different bytes",
                )
            )
            continue
        distance = hamming_distance(x, y)
        threshold = thresholds[algorithm]
        would_match, note = distance <= threshold, ""
        if algorithm == "pdq" and min(first.pdq_quality, second.pdq_quality) < MIN_QUALITY:
            would_match = False
            note = f"PDQ quality below {MIN_QUALITY}: recorded but never matched"
        rows.append(AlgorithmComparison(algorithm, x, y, distance, len(x) * 4, threshold, would_match, note))
    return Comparison(rows, first.pdq_quality, second.pdq_quality)


def thumbnail_data_uri(data: bytes) -> str | None:
    """A small PNG of the picture as a data: URI (re-encoded here), or None if undecodable."""
    try:
        image = load_rgb(data)
    except ImageDecodeError:
        return None
    image.thumbnail((THUMBNAIL_PX, THUMBNAIL_PX), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode("ascii")

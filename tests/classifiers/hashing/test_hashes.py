"""PDQ, pHash/dHash, the combined hash_image result, and distance helpers."""

import hashlib
import io
import re

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageEnhance

from classifiers.hashing import distance as d
from classifiers.hashing.compute import ImageHashes, hash_image
from classifiers.hashing.pdq import MIN_QUALITY, bits_to_hex, pdq_from_bytes

HEX64 = re.compile(r"[0-9a-f]{64}")
HEX16 = re.compile(r"[0-9a-f]{16}")


def png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def scene(seed: int) -> Image.Image:
    """Random shapes on a gradient: distinct seeds give unrelated pictures."""
    rng = np.random.default_rng(seed)
    base = np.linspace(0, 255, 200, dtype=np.float64)[None, :, None] * rng.uniform(0.2, 1, 3)
    image = Image.fromarray(np.broadcast_to(base, (160, 200, 3)).astype(np.uint8))
    draw = ImageDraw.Draw(image)
    for _ in range(12):
        x0, y0 = rng.integers(0, 150), rng.integers(0, 120)
        box = (int(x0), int(y0), int(x0 + rng.integers(20, 80)), int(y0 + rng.integers(20, 60)))
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        (draw.ellipse if rng.random() < 0.5 else draw.rectangle)(box, fill=colour)
    return image


def test_hash_image_fields_have_the_documented_shapes():
    data = png(scene(1))
    result = hash_image(data)
    assert isinstance(result, ImageHashes)
    assert HEX64.fullmatch(result.pdq)
    assert 0 <= result.pdq_quality <= 100
    assert HEX16.fullmatch(result.phash) and HEX16.fullmatch(result.dhash)
    assert result.md5 == hashlib.md5(data).hexdigest()
    assert result.sha256 == hashlib.sha256(data).hexdigest()
    with pytest.raises(AttributeError):
        result.pdq = "0" * 64  # frozen


def test_same_picture_in_another_container_matches_but_crypto_hashes_differ():
    image = scene(2)
    jpeg = io.BytesIO()
    image.save(jpeg, "JPEG", quality=90)
    a, b = hash_image(png(image)), hash_image(jpeg.getvalue())
    assert a.sha256 != b.sha256 and a.md5 != b.md5
    assert d.hamming_distance(a.pdq, b.pdq) <= d.PDQ_THRESHOLD
    assert d.hamming_distance(a.phash, b.phash) <= d.PHASH_THRESHOLD


def test_brightness_change_stays_within_thresholds():
    image = scene(3)
    brighter = ImageEnhance.Brightness(image).enhance(1.2)
    a, b = hash_image(png(image)), hash_image(png(brighter))
    assert d.hamming_distance(a.pdq, b.pdq) <= d.PDQ_THRESHOLD
    assert d.hamming_distance(a.dhash, b.dhash) <= d.DHASH_THRESHOLD


def test_unrelated_pictures_are_far_apart():
    a, b = hash_image(png(scene(4))), hash_image(png(scene(5)))
    assert d.hamming_distance(a.pdq, b.pdq) > d.PDQ_THRESHOLD


def test_flat_picture_has_low_quality_and_is_not_matchable():
    flat = hash_image(png(Image.new("RGB", (128, 128), (90, 90, 90))))
    assert flat.pdq_quality < MIN_QUALITY
    assert flat.pdq_matchable is False
    assert pdq_from_bytes(png(Image.new("L", (64, 64), 200))).matchable is False


def test_detailed_picture_is_matchable():
    result = hash_image(png(scene(6)))
    assert result.pdq_quality >= MIN_QUALITY
    assert result.pdq_matchable is True


def test_min_quality_is_fifty():
    assert MIN_QUALITY == 50


def test_bits_to_hex_is_most_significant_bit_first():
    bits = np.zeros(256, dtype=np.uint8)
    bits[0] = 1  # first bit -> top bit of the first hex digit
    bits[255] = 1
    assert bits_to_hex(bits) == "8" + "0" * 62 + "1"


def test_hamming_distance_counts_differing_bits():
    rng = np.random.default_rng(0)
    for _ in range(50):
        a, b = rng.integers(0, 256, 32, dtype=np.uint8), rng.integers(0, 256, 32, dtype=np.uint8)
        expected = sum(bin(x ^ y).count("1") for x, y in zip(a.tolist(), b.tolist()))
        assert d.hamming_distance(a.tobytes().hex(), b.tobytes().hex()) == expected


def test_hamming_distance_rejects_mismatched_or_bad_input():
    with pytest.raises(d.InvalidHashError):
        d.hamming_distance("ab", "abcd")
    with pytest.raises(d.InvalidHashError):
        d.hamming_distance("zz", "00")


@pytest.mark.parametrize("algorithm, length", [("pdq", 64), ("phash", 16), ("dhash", 16), ("md5", 32), ("sha256", 64)])
def test_normalize_hash_per_algorithm(algorithm, length):
    assert d.normalize_hash(algorithm, " " + "AB" * (length // 2) + "\n") == "ab" * (length // 2)
    with pytest.raises(d.InvalidHashError, match=str(length)):
        d.normalize_hash(algorithm, "a" * (length - 1))
    with pytest.raises(d.InvalidHashError, match="non-hex"):
        d.normalize_hash(algorithm, "g" * length)
    assert d.is_valid_hash(algorithm, "0" * length)
    assert not d.is_valid_hash(algorithm, "0" * (length + 1))


def test_unknown_algorithm_is_a_named_error():
    with pytest.raises(d.UnknownAlgorithmError):
        d.normalize_hash("sha1", "0" * 40)


def test_distance_and_is_match_use_default_thresholds():
    base = "0" * 64
    at_threshold = "f" * 7 + "8" + "0" * 56  # 28 + 1 = 29 bits
    assert d.distance("pdq", base, at_threshold) == 29
    assert d.is_match("pdq", base, at_threshold)
    assert not d.is_match("pdq", base, "f" * 8 + "0" * 56)  # 32 bits
    assert d.distance("md5", "a" * 32, "A" * 32) == 0
    assert d.is_match("md5", "a" * 32, "b" * 32) is False

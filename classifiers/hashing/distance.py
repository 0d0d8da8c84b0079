"""Hash algorithms, hex validation and Hamming distance.

Every hash in the workbench is stored as lowercase hex. Perceptual hashes
(PDQ, pHash, dHash) are compared by Hamming distance; cryptographic hashes
(MD5, SHA-256) only by equality.
"""

from __future__ import annotations

import re

PDQ = "pdq"
PHASH = "phash"
DHASH = "dhash"
MD5 = "md5"
SHA256 = "sha256"

# Number of hex characters of each algorithm's hash.
HEX_LENGTHS: dict[str, int] = {PDQ: 64, PHASH: 16, DHASH: 16, MD5: 32, SHA256: 64}

PERCEPTUAL_ALGORITHMS = frozenset({PDQ, PHASH, DHASH})
EXACT_ALGORITHMS = frozenset({MD5, SHA256})
ALGORITHMS = PERCEPTUAL_ALGORITHMS | EXACT_ALGORITHMS

# Default match thresholds (distance <= threshold is a match). PDQ 31 is the
# ThreatExchange / HMA value; 8 of 64 bits is imagehash's usual cut-off.
PDQ_THRESHOLD = 31
PHASH_THRESHOLD = 8
DHASH_THRESHOLD = 8
DEFAULT_THRESHOLDS: dict[str, int] = {
    PDQ: PDQ_THRESHOLD,
    PHASH: PHASH_THRESHOLD,
    DHASH: DHASH_THRESHOLD,
    MD5: 0,
    SHA256: 0,
}

_HEX_RE = re.compile(r"[0-9a-f]+")


class InvalidHashError(ValueError):
    """A hash string is not valid for its algorithm."""


class UnknownAlgorithmError(ValueError):
    """An algorithm name is not one of ALGORITHMS."""


def bit_length(algorithm: str) -> int:
    return hex_length(algorithm) * 4


def hex_length(algorithm: str) -> int:
    try:
        return HEX_LENGTHS[algorithm]
    except KeyError:
        raise UnknownAlgorithmError(
            f"unknown hash algorithm {algorithm!r}; expected one of {sorted(ALGORITHMS)}"
        ) from None


def normalize_hash(algorithm: str, value: str) -> str:
    """Return `value` as lowercase hex of the right length, or raise InvalidHashError."""
    expected = hex_length(algorithm)
    if not isinstance(value, str):
        raise InvalidHashError(f"{algorithm} hash must be a string, not {type(value).__name__}")
    text = value.strip().lower()
    if len(text) != expected:
        raise InvalidHashError(f"{algorithm} hash must be {expected} hex characters, got {len(text)}")
    if not _HEX_RE.fullmatch(text):
        raise InvalidHashError(f"{algorithm} hash contains non-hex characters")
    return text


def is_valid_hash(algorithm: str, value: str) -> bool:
    try:
        normalize_hash(algorithm, value)
    except InvalidHashError:
        return False
    return True


def hamming_distance(a: str, b: str) -> int:
    """Number of differing bits between two hex strings of the same length."""
    if len(a) != len(b):
        raise InvalidHashError(f"cannot compare hashes of {len(a)} and {len(b)} hex characters")
    try:
        return (int(a, 16) ^ int(b, 16)).bit_count()
    except ValueError:
        raise InvalidHashError("hash contains non-hex characters") from None


def distance(algorithm: str, a: str, b: str) -> int:
    """Validated distance for `algorithm`: Hamming for perceptual, 0/1 for exact hashes."""
    a = normalize_hash(algorithm, a)
    b = normalize_hash(algorithm, b)
    if algorithm in EXACT_ALGORITHMS:
        return 0 if a == b else 1
    return hamming_distance(a, b)


def is_match(algorithm: str, a: str, b: str, threshold: int | None = None) -> bool:
    limit = DEFAULT_THRESHOLDS[algorithm] if threshold is None else threshold
    return distance(algorithm, a, b) <= limit

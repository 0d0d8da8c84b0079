"""Exact hashes of bytes and of normalised text (pure Python, no workbench imports)."""

from __future__ import annotations

import hashlib
import re
import unicodedata

_WHITESPACE = re.compile(r"\s+")


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def md5_hex(data: bytes) -> str:
    # MD5 is what hash-sharing programmes exchange for exact file matches; not a security use.
    return hashlib.md5(data, usedforsecurity=False).hexdigest()


def normalise_text(text: str) -> str:
    """Fold the trivial variations spammers use to dodge exact matching.

    NFKC folds compatibility forms (full-width letters, ligatures), casefold removes
    case, and runs of whitespace collapse to one space.
    """
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _WHITESPACE.sub(" ", folded).strip()


def text_hashes(text: str) -> dict[str, str]:
    data = normalise_text(text).encode("utf-8")
    return {"text_sha256": sha256_hex(data), "text_md5": md5_hex(data)}


def bytes_hashes(data: bytes) -> dict[str, str]:
    return {"sha256": sha256_hex(data), "md5": md5_hex(data)}

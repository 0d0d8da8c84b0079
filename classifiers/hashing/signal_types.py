"""Names other tools give our hash algorithms.

python-threatexchange (pytx) and HMA call signal types by short names (`pdq`,
`video_md5`); ThreatExchange indicator types are upper case (`HASH_PDQ`,
`HASH_MD5`, `VIDEO_HASH_MD5`). All map onto our algorithm names.
"""

from __future__ import annotations

from classifiers.hashing.distance import DHASH, MD5, PDQ, PHASH, SHA256

SIGNAL_TYPE_ALIASES: dict[str, str] = {
    "pdq": PDQ,
    "hash_pdq": PDQ,
    "photo_pdq": PDQ,
    "md5": MD5,
    "hash_md5": MD5,
    "photo_md5": MD5,
    "video_md5": MD5,
    "video_hash_md5": MD5,
    "sha256": SHA256,
    "hash_sha256": SHA256,
    "phash": PHASH,
    "hash_phash": PHASH,
    "dhash": DHASH,
    "hash_dhash": DHASH,
}

# Signal types that exist in pytx/ThreatExchange but hash something other than
# image bytes or pixels, so they can never match an upload here.
UNSUPPORTED_SIGNAL_TYPES = frozenset(
    {
        "url",
        "url_md5",
        "raw_text",
        "text_md5",
        "trend_query",
        "tmk_pdqf",
        "video_tmk_pdqf",
        "hash_tmk",
        "tlsh",
        "pdf_tlsh",
        "clip",
        "pdq_ocr",
        "uri",
        "hash_sha1",
        "sha1",
    }
)

# Names used when exporting. pytx has no plain "md5": its MD5 signal type is
# video_md5 (the MD5 of a file's bytes, which is what ours is too).
PYTX_NAMES: dict[str, str] = {PDQ: "pdq", MD5: "video_md5", SHA256: "sha256", PHASH: "phash", DHASH: "dhash"}
THREATEXCHANGE_TYPES: dict[str, str] = {PDQ: "HASH_PDQ", MD5: "HASH_MD5", SHA256: "HASH_SHA256"}


class UnknownSignalTypeError(ValueError):
    """A signal type name that maps to none of our algorithms."""


def algorithm_for_signal_type(name: str) -> str:
    key = name.strip().lower()
    if key in SIGNAL_TYPE_ALIASES:
        return SIGNAL_TYPE_ALIASES[key]
    if key in UNSUPPORTED_SIGNAL_TYPES:
        raise UnknownSignalTypeError(f"signal type {name!r} is not an image hash this workbench matches")
    raise UnknownSignalTypeError(f"unknown signal type {name!r}")

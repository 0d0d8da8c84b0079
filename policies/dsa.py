"""The DSA statement-of-reasons enum values this library validates against.

A copy lives in policies/schema/dsa_enums.json so that the library never reads the shared
reference at run time; a test compares the copy with the reference.
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

DSA_ENUMS_PATH = Path(__file__).parent / "schema" / "dsa_enums.json"

ILLEGAL = "DECISION_GROUND_ILLEGAL_CONTENT"
INCOMPATIBLE = "DECISION_GROUND_INCOMPATIBLE_CONTENT"

# DSA Transparency Database field limits (characters).
LIMITS = {
    "illegal_content_legal_ground": 500,
    "illegal_content_explanation": 2000,
    "incompatible_content_ground": 500,
    "incompatible_content_explanation": 2000,
    "decision_ground_reference_url": 500,
    "content_type_other": 500,
    "category_specification_other": 500,
    "decision_facts": 5000,
}

# Item kind -> DSA content type, used when a rule does not name its content types.
CONTENT_TYPE_BY_KIND = {
    "text": "CONTENT_TYPE_TEXT",
    "image": "CONTENT_TYPE_IMAGE",
    "video": "CONTENT_TYPE_VIDEO",
    "audio": "CONTENT_TYPE_AUDIO",
}


@lru_cache(maxsize=1)
def dsa_enums() -> dict[str, list[str]]:
    """Enum name -> allowed values, e.g. dsa_enums()["STATEMENT_CATEGORIES"]."""
    with open(DSA_ENUMS_PATH, encoding="utf-8") as fh:
        data = json.load(fh)
    return {key: value for key, value in data.items() if isinstance(value, list)}


def eu_eea_countries() -> frozenset[str]:
    """The 30 EU/EEA codes the Transparency Database accepts in territorial_scope (Greece = GR)."""
    return frozenset(dsa_enums()["COUNTRIES"])

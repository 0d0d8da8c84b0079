"""Outside facts the workbench must agree with, kept in tests/data with where they came from."""

from __future__ import annotations

import json
from pathlib import Path

DATA = Path(__file__).resolve().parents[1] / "data"


def dsa_transparency_db_enums() -> dict[str, list[str]]:
    """The Transparency Database's allowed values (provenance: the file's `_source`)."""
    document = json.loads((DATA / "dsa_transparency_db_enums.json").read_text(encoding="utf-8"))
    assert document.pop("_source")  # a copy without its origin is not a reference
    return document

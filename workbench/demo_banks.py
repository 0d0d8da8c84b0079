"""A demo hash bank for `make run`, created through the real API (idempotently).

Its entries are the hashes of a resized, re-encoded copy of demo-image-4, so that item
matches the bank by PDQ, pHash and dHash at small non-zero distances, as a re-upload would.
"""
from __future__ import annotations

import io

import requests
from PIL import Image

DEMO_BANK = "demo-known-images"
REFERENCE_OF = "demo-image-4"


def _reference_copy(images) -> bytes:
    data = next(data for external_id, _, _, data in images if external_id == REFERENCE_OF)
    picture = Image.open(io.BytesIO(data)).convert("RGB")
    buffer = io.BytesIO()
    picture.resize((picture.width * 3 // 4, picture.height * 3 // 4)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def ensure_demo_bank(base_url: str, key: str, images) -> int:
    headers = {"Authorization": f"Bearer {key}"}
    with requests.Session() as http:
        banks = http.get(f"{base_url}/api/v1/banks", headers=headers, timeout=30)
        banks.raise_for_status()
        bank = next((b for b in banks.json()["banks"] if b["name"] == DEMO_BANK), None)
        if bank is None:
            created = http.post(f"{base_url}/api/v1/banks", headers=headers, timeout=30, json={
                "name": DEMO_BANK, "kind": "copyright",
                "description": f"Demo: the hashes of a resized copy of {REFERENCE_OF}, so `make run` shows a match."})
            created.raise_for_status()
            bank = created.json()
        added = http.post(f"{base_url}/api/v1/banks/{bank['id']}/entries", headers=headers, timeout=30,
                          data={"algorithms": "pdq,phash,dhash", "note": f"reference copy of {REFERENCE_OF}",
                                "source": "demo seed"},
                          files={"image": ("reference.jpg", _reference_copy(images), "image/jpeg")})
        added.raise_for_status()
    return bank["id"]

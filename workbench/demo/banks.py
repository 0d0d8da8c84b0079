"""A demo hash bank for `make run`, made through the service layer (idempotently), as staff
would: the demo's API key needs no bank scope, and the bank, having no owner, matches the
demo platform's items like any staff bank.

Its entries are the hashes of a resized, re-encoded copy of demo-image-4, so that item
matches the bank by PDQ, pHash and dHash at small non-zero distances, as a re-upload would.
"""

from __future__ import annotations

import io

from PIL import Image
from sqlalchemy import select

from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import HashBank
from workbench.services.banks import banks as bank_service
from workbench.services.banks import entries as entry_service

DEMO_BANK = "demo-known-images"
REFERENCE_OF = "demo-image-4"
_ACTOR = Actor.system("demo-seed")


def _reference_copy(images) -> bytes:
    data = next(data for external_id, _, _, data in images if external_id == REFERENCE_OF)
    picture = Image.open(io.BytesIO(data)).convert("RGB")
    buffer = io.BytesIO()
    picture.resize((picture.width * 3 // 4, picture.height * 3 // 4)).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()


def ensure_demo_bank(images) -> int:
    bank = db.session.scalar(select(HashBank).where(HashBank.name == DEMO_BANK))
    if bank is None:
        bank = bank_service.create_bank(
            db.session,
            {
                "name": DEMO_BANK,
                "kind": "copyright",
                "description": f"Demo: the hashes of a resized copy of {REFERENCE_OF}, so `make run` shows a match.",
            },
            _ACTOR,
        )
    bank_id = bank.id
    specs, _ = entry_service.specs_from_image(_reference_copy(images), {"pdq", "phash", "dhash"})
    entry_service.add_entries(
        db.session, bank, specs, _ACTOR, note=f"reference copy of {REFERENCE_OF}", source="demo seed", how="image"
    )  # hashes already there are left as they are
    return bank_id  # read before the commit: reading it after would open a new transaction

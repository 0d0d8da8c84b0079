"""The change feed, in one process: a matcher kept current by the feed holds exactly what a
fresh build from the database holds, whatever mix of changes it was fed."""

from __future__ import annotations

import io
import random

from workbench.extensions import db
from workbench.services.banks.matcher import PERCEPTUAL, BankMatcher


def index_state(matcher: BankMatcher) -> dict:
    state = {}
    for algorithm in PERCEPTUAL:
        index = matcher._indexes[algorithm]
        state[algorithm] = {int(entry_id): index.get(int(entry_id)) for entry_id in index.entry_ids()}
    return state


def test_the_feed_keeps_a_matcher_equal_to_a_fresh_build(app, api, banks):
    rng = random.Random(5)
    with app.app_context():
        kept = BankMatcher(db.engine, poll_interval_s=0.5)
        kept.build()
    first = banks.create("first", pdq_threshold=20)
    second = banks.create("second", kind="spam")
    entries = []
    for bank in (first, second):
        for _ in range(3):
            pairs = [(rng.choice(PERCEPTUAL + ("md5",)), None) for _ in range(5)]
            pairs = [
                (a, "".join(rng.choice("0123456789abcdef") for _ in range({"pdq": 64, "md5": 32}.get(a, 16))))
                for a, _ in pairs
            ]
            entries += [(bank["id"], e["id"]) for e in banks.add(bank["id"], *pairs)["added"]]
    with app.app_context():
        kept.refresh(force=True)  # a poll in the middle: later changes arrive in a second batch
    for bank_id, entry_id in rng.sample(entries, 8):
        banks.patch(f"/banks/{bank_id}/entries/{entry_id}", {"enabled": False})
    for bank_id, entry_id in rng.sample(entries, 4):
        banks.patch(f"/banks/{bank_id}/entries/{entry_id}", {"enabled": True})
    for bank_id, entry_id in rng.sample(entries, 4):
        banks.delete(f"/banks/{bank_id}/entries/{entry_id}")
    listing = "\n".join(f"pdq {rng.getrandbits(256):064x}" for _ in range(30)) + "\nbad line here\n"
    imported = api.client.post(
        f"/api/v1/banks/{second['id']}/imports",
        headers=api.headers,
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(listing.encode()), "l.txt"), "format": "pytx_lines"},
    )
    assert imported.status_code == 201 and imported.json["added"] == 30
    banks.patch(f"/banks/{first['id']}", {"enabled": False, "phash_threshold": 12})
    banks.patch(f"/banks/{second['id']}", {"dhash_threshold": 3})

    with app.app_context():
        applied = kept.refresh(force=True)
        fresh = BankMatcher(db.engine, poll_interval_s=0.5)
        fresh.build()
    assert applied >= 10 and kept.builds == 1  # disables, enables, removals, an import, two banks
    assert index_state(kept) == index_state(fresh)
    assert kept._max_thresholds == fresh._max_thresholds == {"pdq": 31, "phash": 8, "dhash": 3}
    assert kept.position == fresh.position
    assert sum(len(ids) for ids in index_state(kept).values()) > 30

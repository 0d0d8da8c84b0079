"""Matching through the real pipeline: upload an item, a real RQ worker runs the hash stage."""

from __future__ import annotations

from sqlalchemy import func, select

from classifiers.hashing.compute import hash_image
from tests.workbench.banks.conftest import hash_stage_summary, item_hashes, matches_of
from tests.workbench.banks.pictures import flat_picture, near_duplicate, picture
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.jobs.pipeline import stage_context
from workbench.models import HashMatch, Item
from workbench.pipeline.hash_stage import run_hash_stage


def test_a_near_duplicate_matches_and_a_different_picture_does_not(app, banks, run_worker):
    bank = banks.create("known-images", kind="terrorism")
    added = banks.add_image(bank["id"], picture(1), note="reference", source="unit test")
    assert added.status_code == 201
    assert {e["algorithm"] for e in added.json["added"]} == {"pdq", "phash", "dhash", "md5", "sha256"}
    near = banks.upload_item(near_duplicate(1), "near")
    other = banks.upload_item(picture(2), "other")
    run_worker()

    matched = matches_of(app, near)
    assert {m[0] for m in matched} == {"pdq", "phash", "dhash"}  # other bytes: no md5/sha256 match
    assert all(m[1:3] == ("known-images", "terrorism") for m in matched)
    reference, copy = hash_image(picture(1)), hash_image(near_duplicate(1))
    from classifiers.hashing.distance import hamming_distance

    assert dict((m[0], m[3]) for m in matched)["pdq"] == hamming_distance(reference.pdq, copy.pdq) > 0
    assert matches_of(app, other) == []
    assert hash_stage_summary(app, near)["matches"] == 3
    assert hash_stage_summary(app, other)["matches"] == 0

    hashes = item_hashes(app, near)
    assert hashes["pdq"] == (copy.pdq, copy.pdq_quality)
    assert hashes["phash"] == (copy.phash, None) and hashes["dhash"] == (copy.dhash, None)
    assert {"md5", "sha256"} <= set(hashes)


def test_the_same_file_matches_by_exact_hashes_too(app, banks, run_worker):
    bank = banks.create()
    banks.add_image(bank["id"], picture(3))
    item = banks.upload_item(picture(3), "same-bytes")
    run_worker()
    assert {(m[0], m[3]) for m in matches_of(app, item)} == {
        ("pdq", 0),
        ("phash", 0),
        ("dhash", 0),
        ("md5", 0),
        ("sha256", 0),
    }


def test_disabled_entries_and_banks_stop_matching(app, banks, run_worker):
    bank = banks.create()
    added = banks.add(bank["id"], ("pdq", hash_image(picture(4)).pdq))
    entry_id = added["added"][0]["id"]
    assert banks.patch(f"/banks/{bank['id']}/entries/{entry_id}", {"enabled": False}).status_code == 200
    first = banks.upload_item(near_duplicate(4), "while-entry-disabled")
    run_worker()
    assert matches_of(app, first) == []

    banks.patch(f"/banks/{bank['id']}/entries/{entry_id}", {"enabled": True})
    banks.patch(f"/banks/{bank['id']}", {"enabled": False})
    second = banks.upload_item(encode_again(near_duplicate(4)), "while-bank-disabled")
    run_worker()
    assert matches_of(app, second) == []

    banks.patch(f"/banks/{bank['id']}", {"enabled": True})
    third = banks.upload_item(picture(4), "both-enabled")
    run_worker()
    assert [m[0] for m in matches_of(app, third)] == ["pdq"]


def encode_again(data: bytes) -> bytes:
    from io import BytesIO

    from PIL import Image

    buffer = BytesIO()
    Image.open(BytesIO(data)).save(buffer, "PNG")
    return buffer.getvalue()


def test_each_bank_matches_at_its_own_threshold(app, banks, run_worker):
    reference, copy = hash_image(picture(5)), hash_image(near_duplicate(5))
    from classifiers.hashing.distance import hamming_distance

    distance = hamming_distance(reference.pdq, copy.pdq)
    assert 4 < distance < 31
    strict = banks.create("strict", kind="csam", pdq_threshold=distance - 1)
    banks.add(strict["id"], ("pdq", reference.pdq))
    first = banks.upload_item(near_duplicate(5), "near")
    run_worker()  # builds the worker's matcher with the strict bank only
    assert matches_of(app, first) == []

    loose = banks.create("loose", kind="spam", pdq_threshold=31)
    banks.add(loose["id"], ("pdq", reference.pdq))
    second = banks.upload_item(encode_again(near_duplicate(5)), "near-2")
    run_worker()
    assert matches_of(app, second) == [("pdq", "loose", "spam", distance)]

    # Loosening the strict bank applies to the next item without any rebuild.
    banks.patch(f"/banks/{loose['id']}", {"enabled": False})
    assert banks.patch(f"/banks/{strict['id']}", {"pdq_threshold": distance}).json["pdq_threshold"] == distance
    third = banks.upload_item(encode_again(encode_again(near_duplicate(5))), "near-3")
    run_worker()
    assert matches_of(app, third) == [("pdq", "strict", "csam", distance)]
    assert matcher_builds(app) == 1


def matcher_builds(app) -> int:
    from workbench.services.banks.runtime import matcher_for

    return matcher_for(app, workbench_settings.of(app).bank_feed_poll_s).builds


def test_a_hash_added_after_the_matcher_was_built_matches_without_a_rebuild(app, banks, run_worker):
    bank = banks.create()
    banks.upload_item(picture(7), "before")
    run_worker()
    assert matcher_builds(app) == 1
    added = banks.add(bank["id"], ("phash", hash_image(picture(8)).phash))
    item = banks.upload_item(near_duplicate(8), "after")
    run_worker()
    assert [m[0] for m in matches_of(app, item)] == ["phash"]
    from workbench.services.banks.runtime import matcher_for

    matcher = matcher_for(app, workbench_settings.of(app).bank_feed_poll_s)
    assert matcher.builds == 1 and matcher.position >= added["change_id"]

    # Removing it (it never matched... until now: so disable, then a new one is removable).
    other = banks.add(bank["id"], ("dhash", hash_image(picture(9)).dhash))["added"][0]["id"]
    assert banks.delete(f"/banks/{bank['id']}/entries/{other}").status_code == 200
    gone = banks.upload_item(picture(9), "removed")
    run_worker()
    assert matches_of(app, gone) == [] and matcher.builds == 1
    assert other not in matcher._indexes["dhash"]


def test_low_quality_pdq_is_recorded_but_not_matched(app, banks, run_worker):
    flat = hash_image(flat_picture())
    assert flat.pdq_quality < 50
    bank = banks.create()
    banks.add(bank["id"], ("pdq", flat.pdq), ("md5", flat.md5))
    item = banks.upload_item(flat_picture(), "flat")
    run_worker()
    assert item_hashes(app, item)["pdq"] == (flat.pdq, flat.pdq_quality)
    assert [m[0] for m in matches_of(app, item)] == ["md5"]  # the exact copy still matches
    summary = hash_stage_summary(app, item)
    assert summary["pdq_matched"] is False and summary["pdq_quality"] == flat.pdq_quality


def test_rerunning_the_hash_stage_leaves_the_same_match_rows(app, banks, run_worker):
    bank = banks.create()
    banks.add_image(bank["id"], picture(6))
    item_id = banks.upload_item(near_duplicate(6), "near")
    run_worker()

    def rows():
        with app.app_context():
            return db.session.execute(
                select(HashMatch.id, HashMatch.entry_id, HashMatch.algorithm, HashMatch.distance)
                .where(HashMatch.item_id == item_id)
                .order_by(HashMatch.id)
            ).all()

    before = rows()
    assert len(before) == 3
    with app.app_context():
        item = db.session.get(Item, item_id)
        assert run_hash_stage(db.session, item, stage_context(app, workbench_settings.of(app)))["matches"] == 3
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(HashMatch)) == 3
    assert rows() == before


def test_text_items_have_no_matches(app, api, run_worker):
    from tests.support.factories import text_item

    item_id = api.post_json("/items", text_item()).json["id"]
    run_worker()
    assert hash_stage_summary(app, item_id)["matches"] == 0

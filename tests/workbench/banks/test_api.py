"""The bank API: documents, pagination, and JSON errors with stable codes (never a 500,
never a half-written row)."""

from __future__ import annotations

import io

from sqlalchemy import func, select

from classifiers.hashing.compute import hash_image
from tests.workbench.banks.pictures import near_duplicate, picture
from workbench.extensions import db
from workbench.models import AuditEvent, BankEntry, HashBank

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def error(response) -> tuple[int, str, str | None]:
    body = response.json["error"]
    return response.status_code, body["code"], body.get("field")


def test_the_api_needs_a_key(client):
    for method, path in (("get", "/api/v1/banks"), ("post", "/api/v1/banks"), ("get", "/api/v1/banks/1/entries")):
        response = getattr(client, method)(path)
        assert response.status_code == 401 and response.json["error"]["code"] == "unauthorized"


def test_create_read_and_edit_a_bank(app, api, banks):
    bank = banks.create("api-bank", kind="ncii", description="from the API", pdq_threshold=20)
    assert (bank["kind"], bank["pdq_threshold"], bank["phash_threshold"], bank["enabled"]) == ("ncii", 20, 8, True)
    assert api.get(f"/banks/{bank['id']}").json["name"] == "api-bank"
    edited = banks.patch(f"/banks/{bank['id']}", {"enabled": False, "dhash_threshold": 4}).json
    assert (edited["enabled"], edited["dhash_threshold"]) == (False, 4)
    assert [b["name"] for b in api.get("/banks").json["banks"]] == ["api-bank"]
    with app.app_context():
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.actor_type, AuditEvent.payload)
            .where(AuditEvent.object_type == "hash_bank")
            .order_by(AuditEvent.id)
        ).all()
    assert [(action, actor) for action, actor, _ in events] == [
        ("bank.created", "api_client"),
        ("bank.updated", "api_client"),
    ]
    assert '"dhash_threshold":[8,4]' in events[1][2]


def test_bank_field_errors(app, api, banks):
    banks.create("taken")
    cases = [
        ({"kind": "spam"}, (400, "missing_field", "name")),
        ({"name": "x", "kind": "cats"}, (400, "invalid_kind", "kind")),
        ({"name": "x", "kind": "spam", "pdq_threshold": 300}, (400, "out_of_range", "pdq_threshold")),
        ({"name": "x", "kind": "spam", "phash_threshold": "8"}, (400, "invalid_type", "phash_threshold")),
        ({"name": "x", "kind": "spam", "enabled": "yes"}, (400, "invalid_type", "enabled")),
        ({"name": "x", "kind": "spam", "colour": "red"}, (400, "unknown_field", "colour")),
        ({"name": "taken", "kind": "spam"}, (409, "bank_name_taken", "name")),
    ]
    for body, expected in cases:
        assert error(api.post_json("/banks", body)) == expected, body
    assert api.post_raw("/banks", b"name=x", "application/x-www-form-urlencoded").status_code == 415
    assert count(app, HashBank) == 1
    assert error(api.get("/banks/999")) == (404, "bank_not_found", None)


def test_entry_errors_name_every_bad_line_and_write_nothing(app, api, banks):
    bank = banks.create()
    response = api.post_json(
        f"/banks/{bank['id']}/entries",
        {
            "entries": [
                {"algorithm": "pdq", "value": PDQ},
                {"algorithm": "pdq", "value": "abc"},
                {"algorithm": "sha1", "value": "abc"},
                "not an object",
            ]
        },
    )
    assert error(response) == (400, "invalid_hashes", "entries")
    assert [e["line"] for e in response.json["error"]["errors"]] == [2, 3, 4]
    assert "64 hex characters" in response.json["error"]["errors"][0]["reason"]
    assert count(app, BankEntry) == 0
    assert error(api.post_json(f"/banks/{bank['id']}/entries", {"entries": []})) == (400, "missing_field", "entries")
    too_many = {"entries": [{"algorithm": "phash", "value": f"{i:016x}"} for i in range(1001)]}
    assert error(api.post_json(f"/banks/{bank['id']}/entries", too_many)) == (413, "too_many_entries", "entries")
    assert error(api.post_json("/banks/999/entries", {"entries": [{"algorithm": "pdq", "value": PDQ}]}))[:2] == (
        404,
        "bank_not_found",
    )


def test_image_entries_and_their_errors(app, api, banks):
    bank = banks.create()
    ok = banks.add_image(bank["id"], picture(60), algorithms="pdq,phash", note="ref")
    assert ok.status_code == 201
    assert sorted(e["algorithm"] for e in ok.json["added"]) == ["pdq", "phash"]
    assert ok.json["added"][0]["note"] == "ref"
    again = banks.add_image(bank["id"], picture(60), algorithms="pdq")
    assert again.status_code == 200 and len(again.json["already_present"]) == 1
    not_image = banks.add_image(bank["id"], b"%PDF-1.4 hello")
    assert error(not_image) == (415, "unsupported_media_type", "image")
    truncated = banks.add_image(bank["id"], picture(61)[:200])
    assert error(truncated) == (422, "corrupt_image", "image")
    bad_algorithm = banks.add_image(bank["id"], picture(61), algorithms="pdq,sha1")
    assert error(bad_algorithm) == (400, "invalid_algorithm", "algorithms")
    assert count(app, BankEntry) == 2


def test_entries_pagination_search_and_changes(app, api, banks, run_worker):
    bank = banks.create()
    banks.add(bank["id"], *[("phash", f"{i:016x}") for i in range(1, 8)], note="batch one")
    page = api.get(f"/banks/{bank['id']}/entries?limit=3").json
    assert page["total"] == 7 and [e["value"][-1] for e in page["entries"]] == ["7", "6", "5"]
    second = api.client.get(page["next"], headers=api.headers).json
    assert [e["value"][-1] for e in second["entries"]] == ["4", "3", "2"]
    assert api.get(f"/banks/{bank['id']}/entries?q=000000000000000&status=enabled").json["total"] == 7
    assert api.get(f"/banks/{bank['id']}/entries?q=Batch%20ONE").json["total"] == 7
    assert error(api.get(f"/banks/{bank['id']}/entries?limit=501")) == (400, "out_of_range", "limit")
    assert error(api.get(f"/banks/{bank['id']}/entries?status=gone")) == (400, "invalid_status", "status")
    assert error(api.get(f"/banks/{bank['id']}/entries?algorithm=sha1")) == (400, "invalid_algorithm", "algorithm")

    entry_id = page["entries"][0]["id"]
    assert error(banks.patch(f"/banks/{bank['id']}/entries/{entry_id}", {"enabled": "no"})) == (
        400,
        "invalid_type",
        "enabled",
    )
    noted = banks.patch(f"/banks/{bank['id']}/entries/{entry_id}", {"note": "checked by legal"}).json
    assert noted["note"] == "checked by legal" and noted["enabled"] is True
    other = banks.create("other")
    assert error(api.get(f"/banks/{other['id']}/entries/{entry_id}"))[:2] == (404, "entry_not_found")

    reference = hash_image(picture(62))
    used = banks.add(bank["id"], ("pdq", reference.pdq))["added"][0]["id"]
    banks.upload_item(near_duplicate(62), "near")
    run_worker()
    assert error(banks.delete(f"/banks/{bank['id']}/entries/{used}"))[:2] == (409, "entry_has_matches")
    removed = banks.delete(f"/banks/{bank['id']}/entries/{entry_id}")
    assert removed.status_code == 200 and removed.json["change_id"] > 0
    assert error(banks.delete(f"/banks/{bank['id']}/entries/{entry_id}"))[:2] == (404, "entry_not_found")


def test_compare_over_the_api(api):
    def post(**files):
        data = {name: (io.BytesIO(content), f"{name}.png") for name, content in files.items()}
        return api.client.post(
            "/api/v1/banks/compare", data=data, content_type="multipart/form-data", headers=api.headers
        )

    result = post(image_a=picture(63), image_b=near_duplicate(63)).json
    rows = {row["algorithm"]: row for row in result["algorithms"]}
    assert set(rows) == {"pdq", "phash", "dhash", "md5", "sha256"}
    assert rows["pdq"]["would_match"] and rows["pdq"]["threshold"] == 31 and 0 < rows["pdq"]["distance"] <= 31
    assert rows["md5"]["would_match"] is False and rows["md5"]["distance"] == 1
    assert error(post(image_a=picture(63))) == (400, "missing_field", "image_b")
    assert error(post(image_a=picture(63), image_b=b"junk"))[:2] == (415, "unsupported_media_type")

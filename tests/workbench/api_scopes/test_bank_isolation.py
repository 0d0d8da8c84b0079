"""Attacks on hash banks by another platform's key, against the real app on both databases.

Platform B holds every scope, banks:read and banks:write included: the strongest tenant. It
still cannot list, read, export, disable, re-threshold, add to, import into or remove from a
staff bank or platform A's bank, and cannot tell them from banks that do not exist. A
shared bank it may read, never change. A bank B fills with hashes of A's content matches
only B's own items. A key without the bank scopes is refused on every bank route.
"""

from __future__ import annotations

import hashlib
import io
import re

import pytest
from sqlalchemy import func, select

from tests.support.api import ApiHelper
from tests.support.factories import TEST_ACTOR, make_api_key
from tests.workbench.banks.pictures import picture
from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import AuditEvent, BankChange, BankEntry, BankImport, HashBank, HashMatch
from workbench.services.platforms.scopes import DEFAULT_SCOPES

PDQ = "f8f8f0cee0f4a84f06370a22038f63f0b36e2ed596621e1d33e6b39c4e9c9b22"
MD5 = "0123456789abcdef0123456789abcdef"


class Platform(ApiHelper):
    def call(self, method: str, path: str, **kwargs):
        return self.client.open(f"/api/v1{path}", method=method, headers=self.headers, **kwargs)


@pytest.fixture
def tenants(app, client):
    """A staff bank and platform A's bank (each with entries and an import), and platforms B and C."""
    from workbench.services.banks import banks as bank_service
    from workbench.services.banks import entries as entry_service

    a = Platform(client, make_api_key(app, "platform-a"))
    b = Platform(client, make_api_key(app, "platform-b"))
    c = Platform(client, make_api_key(app, "platform-c", DEFAULT_SCOPES))
    with app.app_context():
        staff = bank_service.create_bank(db.session, {"name": "ncmec-csam", "kind": "csam"}, TEST_ACTOR)
        entry_service.add_entries(
            db.session, staff, [entry_service.EntrySpec("pdq", PDQ), entry_service.EntrySpec("md5", MD5)], TEST_ACTOR
        )
        staff_id = staff.id
    a_bank = a.post_json("/banks", {"name": "a-known-spam", "kind": "spam"})
    assert a_bank.status_code == 201 and a_bank.json["owned"] is True, a_bank.json
    assert (
        a.post_json(
            f"/banks/{a_bank.json['id']}/entries", {"entries": [{"algorithm": "md5", "value": MD5}]}
        ).status_code
        == 201
    )
    imported = a.call(
        "POST",
        f"/banks/{a_bank.json['id']}/imports",
        content_type="multipart/form-data",
        data={"file": (io.BytesIO(f"pdq {PDQ}\n".encode()), "l.txt"), "format": "pytx_lines"},
    )
    assert imported.status_code == 201, imported.json
    return {"a": a, "b": b, "c": c, "staff": staff_id, "a_bank": a_bank.json["id"], "a_import": imported.json["id"]}


def _entry_of(app, bank_id: int) -> int:
    with app.app_context():
        return db.session.scalar(select(BankEntry.id).where(BankEntry.bank_id == bank_id).order_by(BankEntry.id))


def _bank_state(app) -> dict:
    """Everything an attack could change: banks' settings, entries, imports, feed, and the log."""
    with app.app_context():
        banks = {
            bank.id: (
                bank.name,
                bank.enabled,
                bank.pdq_threshold,
                bank.phash_threshold,
                bank.dhash_threshold,
                bank.visibility,
                bank.owner_client_id,
            )
            for bank in db.session.scalars(select(HashBank))
        }
        entries = sorted(
            db.session.execute(
                select(BankEntry.id, BankEntry.bank_id, BankEntry.value, BankEntry.disabled_at, BankEntry.note)
            ).all()
        )

        def count(model):
            return db.session.scalar(select(func.count()).select_from(model))

        return {
            "banks": banks,
            "entries": entries,
            "imports": count(BankImport),
            "feed": count(BankChange),
            "audit": count(AuditEvent),
        }


def _attacks(bank_id: int, entry_id: int, import_id: int) -> list[tuple[str, str, dict]]:
    """Every bank route, aimed at `bank_id`, with bodies that would succeed on the attacker's own bank."""
    image = picture(7)
    return [
        ("GET", f"/banks/{bank_id}", {}),
        ("GET", f"/banks/{bank_id}/entries", {}),
        ("GET", f"/banks/{bank_id}/entries/{entry_id}", {}),
        ("GET", f"/banks/{bank_id}/export?format=pytx_lines", {}),
        ("GET", f"/banks/{bank_id}/imports/{import_id}", {}),
        ("GET", f"/banks/{bank_id}/imports/{import_id}/errors", {}),
        ("PATCH", f"/banks/{bank_id}", {"json": {"enabled": False}}),
        ("PATCH", f"/banks/{bank_id}", {"json": {"pdq_threshold": 0, "phash_threshold": 0, "dhash_threshold": 0}}),
        ("PATCH", f"/banks/{bank_id}", {"json": {"name": "renamed"}}),
        ("POST", f"/banks/{bank_id}/entries", {"json": {"entries": [{"algorithm": "md5", "value": "f" * 32}]}}),
        (
            "POST",
            f"/banks/{bank_id}/entries",
            {"content_type": "multipart/form-data", "data": {"image": (io.BytesIO(image), "victim.png")}},
        ),
        (
            "POST",
            f"/banks/{bank_id}/imports",
            {
                "content_type": "multipart/form-data",
                "data": {"file": (io.BytesIO(b"md5 " + b"e" * 32 + b"\n"), "l.txt"), "format": "pytx_lines"},
            },
        ),
        ("POST", f"/banks/{bank_id}/imports/{import_id}/resume", {}),
        ("PATCH", f"/banks/{bank_id}/entries/{entry_id}", {"json": {"enabled": False}}),
        ("PATCH", f"/banks/{bank_id}/entries/{entry_id}", {"json": {"note": "planted"}}),
        ("DELETE", f"/banks/{bank_id}/entries/{entry_id}", {}),
    ]


def _matched_banks(app, item_id: int) -> set[tuple[str, str]]:
    with app.app_context():
        return set(
            db.session.execute(
                select(HashBank.name, HashMatch.algorithm)
                .join(HashBank, HashBank.id == HashMatch.bank_id)
                .where(HashMatch.item_id == item_id)
            ).all()
        )


def _without_id(message: str) -> str:
    return re.sub(r"\d+", "N", message)


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_another_platform_cannot_see_or_touch_a_private_bank(app, tenants):
    b = tenants["b"]
    before = _bank_state(app)
    targets = {"staff bank": tenants["staff"], "platform A's bank": tenants["a_bank"]}
    listed = b.get("/banks")
    assert listed.status_code == 200 and listed.json["banks"] == []
    missing = b.get("/banks/424242").json["error"]
    for label, bank_id in targets.items():
        for method, path, kwargs in _attacks(bank_id, _entry_of(app, bank_id), tenants["a_import"]):
            response = b.call(method, path, **kwargs)
            error = (response.get_json(silent=True) or {}).get("error", {})
            # Exactly the answer for a bank that does not exist: nothing tells them apart.
            assert (response.status_code, error.get("code")) == (404, "bank_not_found"), (label, method, path)
            assert _without_id(error["message"]) == _without_id(missing["message"]), (label, path)
            body = response.get_data(as_text=True)
            assert "ncmec" not in body and "a-known-spam" not in body, (label, path)
    assert _bank_state(app) == before, "an attack changed a bank, an entry, the feed or wrote to the audit log"
    # The owner and staff still see their banks: the refusals are not an outage.
    assert tenants["a"].get(f"/banks/{tenants['a_bank']}").status_code == 200
    assert [bank["name"] for bank in tenants["a"].get("/banks").json["banks"]] == ["a-known-spam"]


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_shared_bank_can_be_read_and_exported_but_only_its_owner_changes_it(app, tenants):
    from workbench.services.banks import banks as bank_service

    with app.app_context():
        for bank_id in (tenants["staff"], tenants["a_bank"]):
            bank_service.update_bank(
                db.session, db.session.get(HashBank, bank_id), {"visibility": "shared-read"}, Actor.system("tests")
            )
    b = tenants["b"]
    listed = {bank["name"]: bank for bank in b.get("/banks").json["banks"]}
    assert set(listed) == {"ncmec-csam", "a-known-spam"}
    assert {bank["owned"] for bank in listed.values()} == {False}
    assert all(bank["visibility"] == "shared-read" for bank in listed.values())
    exported = b.get(f"/banks/{tenants['staff']}/export?format=pytx_lines")
    assert exported.status_code == 200 and PDQ in exported.get_data(as_text=True)
    before = _bank_state(app)
    for bank_id in (tenants["staff"], tenants["a_bank"]):
        for method, path, kwargs in _attacks(bank_id, _entry_of(app, bank_id), tenants["a_import"]):
            response = b.call(method, path, **kwargs)
            if method == "GET" and "/imports/" not in path:
                assert response.status_code == 200, (method, path, response.get_data(as_text=True)[:300])
            else:  # a change, or the owner's import log
                assert response.status_code == 403, (method, path, response.status_code)
                assert response.json["error"]["code"] == "bank_not_owned"
    after = _bank_state(app)
    # Reading writes nothing but the export's audit event.
    assert {k: v for k, v in after.items() if k != "audit"} == {k: v for k, v in before.items() if k != "audit"}
    with app.app_context():
        by_b = db.session.scalars(select(AuditEvent.action).where(AuditEvent.id > before["audit"])).all()
    assert set(by_b) <= {"bank.exported"}


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_a_key_without_bank_scopes_is_refused_on_every_bank_route(app, tenants):
    c = tenants["c"]
    before = _bank_state(app)
    routes = [rule for rule in app.url_map.iter_rules() if rule.rule.startswith("/api/v1/banks")]
    assert len(routes) >= 12
    values = {
        "bank_id": tenants["a_bank"],
        "entry_id": _entry_of(app, tenants["a_bank"]),
        "import_id": tenants["a_import"],
    }
    for rule in routes:
        path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule)[len("/api/v1") :]
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = c.call(method, path)
            assert response.status_code == 403, (method, path, response.status_code)
            assert response.json["error"]["code"] == "insufficient_scope"
    assert _bank_state(app) == before
    assert (
        c.post_json("/items", {"external_id": "c-1", "author_id": "u", "country": "DE", "text": "hello"}).status_code
        == 201
    )  # its own scopes still work


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_hashes_planted_in_a_platforms_own_bank_never_act_on_another_platforms_items(app, tenants, run_worker):
    """B puts the MD5 of A's picture in a csam bank of its own: A's item does not match it.
    The same picture from B does (the bank works), and the staff bank matches both."""
    a, b = tenants["a"], tenants["b"]
    victim = picture(11)
    md5 = hashlib.md5(victim).hexdigest()
    planted = b.post_json("/banks", {"name": "b-planted", "kind": "csam"})
    assert planted.status_code == 201
    assert (
        b.post_json(
            f"/banks/{planted.json['id']}/entries", {"entries": [{"algorithm": "md5", "value": md5}]}
        ).status_code
        == 201
    )
    with app.app_context():
        from workbench.services.banks import entries as entry_service

        staff = db.session.get(HashBank, tenants["staff"])
        entry_service.add_entries(db.session, staff, [entry_service.EntrySpec("md5", md5)], TEST_ACTOR)
    a_item = a.post_image(victim, external_id="a-photo", author_id="u1", country="DE").json["id"]
    b_item = b.post_image(victim, external_id="b-photo", author_id="u2", country="DE").json["id"]
    run_worker()
    assert _matched_banks(app, a_item) == {("ncmec-csam", "md5")}
    assert _matched_banks(app, b_item) == {("ncmec-csam", "md5"), ("b-planted", "md5")}

"""The auditors' audit-log page: filters, keyset paging, escaped payloads, inclusion proofs,
and who may see it."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest

from tests.support.auth import csrf_token_from
from workbench import audit
from workbench.audit import Actor, verifier
from workbench.audit.checkpoints import create_checkpoint
from workbench.audit.keys import signer_key
from workbench.audit.tree import proof_ranges
from workbench.extensions import db
from workbench.models.base import utcnow
from workbench.services.exports.audit_search import AuditQuery, InvalidAuditQuery, search_events

HOSTILE = "<script>window.__xss=1</script>"


def seed(app, count: int = 12) -> None:
    with app.app_context():
        for n in range(count):
            actor = Actor.user(7) if n % 2 else Actor.system("retention")
            audit.record(
                db.session,
                actor,
                "case.decided" if n % 3 else "export.requested",
                "case" if n % 4 else "item",
                n % 5,
                note=HOSTILE if n == 3 else f"n{n}",
            )
            db.session.commit()  # one transaction per event, like the real workbench


def ids(app, **filters) -> list[int]:
    with app.app_context():
        try:
            return [event.id for event in search_events(db.session, AuditQuery(**filters)).events]
        finally:
            db.session.rollback()


def expected(count: int, keep) -> list[int]:
    """Ids (newest first) of the seeded events whose (n, actor, action, object_type, object_id) pass `keep`."""
    rows = [
        (
            n,
            "user:7" if n % 2 else "system:retention",
            "case.decided" if n % 3 else "export.requested",
            "case" if n % 4 else "item",
            str(n % 5),
        )
        for n in range(count)
    ]
    return [n + 1 for n, *fields in reversed(rows) if keep(*fields)]


def test_filters_and_keyset_paging(app):
    seed(app)
    assert (
        ids(app, object_type="item", object_id="3") == expected(12, lambda a, c, t, o: t == "item" and o == "3") == [9]
    )
    assert ids(app, object_type="case") == expected(12, lambda a, c, t, o: t == "case")
    assert ids(app, actor="user:7") == expected(12, lambda a, c, t, o: a == "user:7") == [12, 10, 8, 6, 4, 2]
    assert ids(app, actor="system") == [11, 9, 7, 5, 3, 1]
    assert ids(app, action="export.requested") == expected(12, lambda a, c, t, o: c == "export.requested")
    assert ids(app, action="export.*") == ids(app, action="export.requested") and ids(app, action="export%") == []
    assert ids(app, action="case.decided", actor="user:7", object_type="case") == expected(
        12, lambda a, c, t, o: c == "case.decided" and a == "user:7" and t == "case"
    )
    assert ids(app, since=utcnow() + timedelta(minutes=1)) == []
    assert len(ids(app, since=utcnow() - timedelta(minutes=5), until=utcnow() + timedelta(minutes=1))) == 12
    seen, before = [], None
    while True:
        with app.app_context():
            page = search_events(db.session, AuditQuery(before=before, limit=5))
            seen += [event.id for event in page.events]
            db.session.rollback()
        if page.next_before is None:
            break
        before = page.next_before
    assert seen == list(range(12, 0, -1))
    with app.app_context(), pytest.raises(InvalidAuditQuery):
        search_events(db.session, AuditQuery(actor="nobody:1"))


def test_the_page_filters_escapes_and_pages(app, auth, client):
    auth.login("auditor")  # logging in writes events of its own: compare with the service
    seed(app, 60)
    everything = ids(app, limit=500)
    html = client.get("/audit").get_data(as_text=True)
    first = re.findall(r"<tr>\s*<td>(\d+)</td>", html)
    assert first == [str(n) for n in everything[:50]]
    older = re.search(r'id="older" href="([^"]+)"', html).group(1).replace("&amp;", "&")
    rest = re.findall(r"<tr>\s*<td>(\d+)</td>", client.get(older).get_data(as_text=True))
    assert rest == [str(n) for n in everything[50:]]
    hostile = client.get("/audit?object_type=case&object_id=3&actor=user:7").get_data(as_text=True)
    assert HOSTILE not in hostile and "&lt;script&gt;window.__xss=1&lt;/script&gt;" in hostile
    filtered = client.get("/audit?object_type=item&object_id=0&actor=system").get_data(as_text=True)
    assert re.findall(r"<tr>\s*<td>(\d+)</td>", filtered) == [
        str(n) for n in ids(app, object_type="item", object_id="0", actor="system")
    ]
    assert len(re.findall(r"<tr>\s*<td>(\d+)</td>", filtered)) == 3
    assert client.get("/audit?actor=robot").status_code == 400
    assert client.get("/audit?object_id=3").status_code == 400


def test_inclusion_proof_matches_the_signed_checkpoint(app, auth, client):
    seed(app, 13)
    with app.app_context():
        create_checkpoint(db.session, signer_key())
    seed(app, 2)  # not covered yet
    auth.login("auditor")
    response = client.get("/audit/events/6/proof.json")
    assert response.status_code == 200 and "attachment" in response.headers["Content-Disposition"]
    document = response.get_json()
    assert document["chain_position"] == 6 and document["verifies"] is True
    size = document["checkpoint"]["tree_size"]
    assert size == 13
    proof = [bytes.fromhex(node) for node in document["inclusion_proof"]]
    leaf = verifier.leaf_hash(document["event"]["event_hash"])
    assert verifier.verify_inclusion(leaf, 5, size, proof, bytes.fromhex(document["checkpoint"]["root_hash"]))
    with app.app_context():
        from workbench.audit.checkpoints import iter_event_dicts

        leaves = [verifier.leaf_hash(e["event_hash"]) for e in iter_event_dicts(db.session, through=size)]
    for index in range(size):
        expected = verifier.inclusion_proof(leaves, index)
        assert len(proof_ranges(index, size)) == len(expected)
    assert proof == verifier.inclusion_proof(leaves, 5)
    assert verifier.signature_valid(document["public_key_pem"].encode(), document["checkpoint"])
    uncovered = client.get("/audit/events/15/proof.json").get_json()
    assert uncovered["checkpoint"] is None and "No signed checkpoint" in uncovered["note"]
    assert client.get("/audit/events/999/proof.json").status_code == 404


def test_a_moderator_is_denied_the_auditor_pages(app, auth, client):
    seed(app, 2)
    auth.login("moderator")
    for path in (
        "/audit",
        "/audit/events/1/proof.json",
        "/exports",
        "/exports/1",
        "/exports/1/progress.json",
        "/exports/1/download",
    ):
        assert client.get(path).status_code == 403, path
    token = csrf_token_from(client.get("/account/").get_data(as_text=True))
    assert client.post("/exports", data={"kind": "audit_bundle", "csrf_token": token}).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    assert client.get("/audit").status_code == 302  # to the login page

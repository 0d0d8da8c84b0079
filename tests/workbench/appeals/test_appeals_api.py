"""POST/GET /api/v1/appeals: creation, idempotency, validation, client isolation, appealability."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.accounts import actions, audit_events
from tests.support.api import ApiHelper
from tests.support.appeals_qa import appeal_body, client_of, count, decided_item, staff
from tests.support.factories import make_api_key
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import Appeal, AppealContact, Case


def test_appeal_by_decision_id_opens_an_escalated_case_in_the_appeals_queue(app, api):
    moderator = staff(app, "mod-a", "moderator")
    item_id, decision_id = decided_item(app, client_of(app, api), decider_id=moderator.id)
    response = api.post_json(
        "/appeals",
        appeal_body(decision_id=decision_id, complainant={"id": "u-9", "name": "Ann", "email": "ann@example.org"}),
    )
    assert response.status_code == 201, response.get_json()
    doc = response.get_json()
    assert doc["status"] == "open" and doc["outcome"] is None
    assert (doc["decision_id"], doc["item_id"], doc["external_id"]) == (decision_id, item_id, "appeal-1")
    with app.app_context():
        appeal = db.session.get(Appeal, doc["id"])
        case = db.session.get(Case, appeal.case_id)
        assert (case.queue, case.status, case.priority, case.escalated) == ("appeals", "open", "high", True)
        assert case.item_id == item_id
        assert timedelta(hours=71) < case.due_at - appeal.received_at <= timedelta(hours=72)
        assert appeal.complainant_pseudonym and appeal.complainant_pseudonym != "u-9"
        contact = db.session.get(AppealContact, appeal.id)
        assert (contact.name, contact.email) == ("Ann", "ann@example.org")
    events = audit_events(app, "appeal.")
    assert [e.action for e in events] == ["appeal.received"]
    assert "ann@example.org" not in events[0].payload and "Ann" not in events[0].payload
    assert "case.opened" in actions(app, "case.")
    status = api.get(f"/appeals/{doc['id']}")
    assert status.status_code == 200 and status.get_json()["status"] == "open"


def test_appeal_by_item_external_id_targets_the_decision_in_force(app, api):
    cid = client_of(app, api)
    item_id, decision_id = decided_item(app, cid, external_id="video-7")
    response = api.post_json("/appeals", appeal_body(item_external_id="video-7"))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["decision_id"] == decision_id
    by_id = api.post_json("/appeals", appeal_body("appeal-2", item_id=item_id))
    assert by_id.status_code == 409 and by_id.get_json()["error"]["code"] == "not_appealable"


def test_the_same_appeal_sent_twice_is_one_appeal(app, api):
    cid = client_of(app, api)
    _, decision_id = decided_item(app, cid)
    _, other_decision = decided_item(app, cid)
    first = api.post_json("/appeals", appeal_body("dup", decision_id=decision_id))
    again = api.post_json("/appeals", appeal_body("dup", decision_id=decision_id))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.get_json()["id"] == again.get_json()["id"]
    assert count(app, Appeal) == 1 and count(app, Case, queue="appeals") == 1
    conflict = api.post_json("/appeals", appeal_body("dup", decision_id=other_decision))
    assert conflict.status_code == 409
    assert conflict.get_json()["error"]["code"] == "idempotency_conflict"
    assert count(app, Appeal) == 1


D = object()  # stands for the id of a real, appealable decision


@pytest.mark.parametrize(
    "body, status, code, field",
    [
        ({"decision_id": D}, 400, "missing_field", "external_id"),
        ({"external_id": "a"}, 400, "missing_field", "decision_id"),
        ({"external_id": "a", "decision_id": D, "item_id": 1, "explanation": "x"}, 400, "missing_field", "decision_id"),
        ({"external_id": "a", "decision_id": "1", "explanation": "x"}, 400, "invalid_type", "decision_id"),
        ({"external_id": "a", "decision_id": True, "explanation": "x"}, 400, "invalid_type", "decision_id"),
        ({"external_id": "a", "decision_id": D}, 400, "missing_field", "explanation"),
        ({"external_id": "a", "decision_id": D, "explanation": "   "}, 400, "missing_field", "explanation"),
        ({"external_id": "a", "decision_id": D, "explanation": "x" * 5001}, 413, "too_long", "explanation"),
        ({"external_id": "a", "decision_id": D, "explanation": "x", "why": 1}, 400, "unknown_field", "why"),
        (
            {"external_id": "a", "decision_id": D, "explanation": "x", "complainant": "me"},
            400,
            "invalid_type",
            "complainant",
        ),
        (
            {"external_id": "a", "decision_id": D, "explanation": "x", "complainant": {"email": "no at"}},
            400,
            "invalid_email",
            "complainant.email",
        ),
        ({"external_id": "a", "decision_id": D, "explanation": "bad\x00byte"}, 400, "invalid_text", "explanation"),
    ],
)
def test_invalid_appeals_are_refused_with_a_code_and_nothing_is_written(app, api, body, status, code, field):
    _, decision_id = decided_item(app, client_of(app, api))
    if body.get("decision_id") is D:
        body = {**body, "decision_id": decision_id}
    response = api.post_json("/appeals", body)
    assert response.status_code == status, response.get_json()
    error = response.get_json()["error"]
    assert (error["code"], error.get("field")) == (code, field)
    assert count(app, Appeal) == 0 and count(app, Case, queue="appeals") == 0


def test_body_and_auth_errors(app, api):
    assert api.post_raw("/appeals", b"not json").status_code == 400
    assert api.post_raw("/appeals", b"a=b", "application/x-www-form-urlencoded").status_code == 415
    unauthenticated = api.client.post("/api/v1/appeals", json=appeal_body(decision_id=1))
    assert unauthenticated.status_code == 401
    assert unauthenticated.get_json()["error"]["code"] == "unauthorized"


def test_unknown_and_unappealable_decisions(app, api):
    cid = client_of(app, api)
    missing = api.post_json("/appeals", appeal_body(decision_id=999999))
    assert missing.status_code == 404 and missing.get_json()["error"]["code"] == "decision_not_found"
    _, old = decided_item(app, cid, decided_days_ago=200)
    too_late = api.post_json("/appeals", appeal_body("late", decision_id=old))
    assert too_late.status_code == 409 and too_late.get_json()["error"]["code"] == "not_appealable"
    _, under_review = decided_item(app, cid, open_case=True)
    busy = api.post_json("/appeals", appeal_body("busy", decision_id=under_review))
    assert busy.status_code == 409 and busy.get_json()["error"]["code"] == "review_in_progress"
    assert count(app, Appeal) == 0


def test_another_clients_item_decision_and_appeal_are_404(app, api):
    cid = client_of(app, api)
    item_id, decision_id = decided_item(app, cid, external_id="mine")
    other = ApiHelper(api.client, make_api_key(app, "other-platform"))
    for body in (
        appeal_body(decision_id=decision_id),
        appeal_body(item_id=item_id),
        appeal_body(item_external_id="mine"),
    ):
        response = other.post_json("/appeals", body)
        assert response.status_code == 404, response.get_json()
        assert response.get_json()["error"]["code"] == "decision_not_found"
    assert count(app, Appeal) == 0
    appeal_id = api.post_json("/appeals", appeal_body(decision_id=decision_id)).get_json()["id"]
    assert other.get(f"/appeals/{appeal_id}").status_code == 404
    assert other.get(f"/appeals/{appeal_id}").get_json()["error"]["code"] == "appeal_not_found"
    assert api.get("/appeals/424242").status_code == 404


def test_an_erasure_request_deletes_the_complainants_contact_but_keeps_the_appeal(app, api):
    from workbench.audit import Actor
    from workbench.services.blobstore import BlobStore
    from workbench.services.privacy.erasure import erase_person

    client_id = client_of(app, api)
    _, decision_id = decided_item(app, client_id)
    api.post_json("/appeals", appeal_body(decision_id=decision_id, complainant={"id": "u-1", "email": "c@example.org"}))
    with app.app_context():
        outcome = erase_person(
            db.session,
            actor=Actor.system("tests"),
            pseudonym_key=workbench_settings.of(app).pseudonym_key,
            blob_store=BlobStore(workbench_settings.of(app).blob_dir),
            client_id=client_id,
            platform_user_id="u-1",
        )
        assert outcome.contacts_erased == 1
        appeal = db.session.scalar(select(Appeal))
        assert appeal.complainant_pseudonym is None and appeal.contact is None
    assert count(app, AppealContact) == 0 and count(app, Appeal) == 1

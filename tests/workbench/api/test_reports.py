"""POST /api/v1/reports: notices about items, with the reporter's contact kept apart."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.factories import text_item
from workbench.extensions import db
from workbench.models import AuditEvent, Report, ReportContact


def notice(**overrides) -> dict:
    body = {
        "item_external_id": "post-1",
        "source": "user",
        "category": "illegal_hate_speech",
        "explanation": "This is hate speech.",
        "external_id": "notice-1",
        "reporter": {"id": "reporter-9", "name": "Erika Mustermann", "email": "erika@example.org"},
    }
    body.update(overrides)
    return body


def test_report_by_external_id_stores_contact_separately(app, api):
    item_id = api.post_json("/items", text_item()).json["id"]
    response = api.post_json("/reports", notice())
    assert response.status_code == 201, response.json
    assert response.json["item_id"] == item_id
    with app.app_context():
        report = db.session.get(Report, response.json["id"])
        assert report.reporter_pseudonym and report.reporter_pseudonym != "reporter-9"
        contact = db.session.get(ReportContact, report.id)
        assert (contact.name, contact.email) == ("Erika Mustermann", "erika@example.org")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report.received"))
        assert "erika" not in event.payload.lower() and '"has_contact":true' in event.payload
    assert api.get(f"/items/{item_id}").json["report_count"] == 1


def test_report_by_item_id_and_resend_is_idempotent(app, api):
    item_id = api.post_json("/items", text_item()).json["id"]
    first = api.post_json("/reports", notice(item_external_id=None, item_id=item_id))
    again = api.post_json("/reports", notice(item_external_id=None, item_id=item_id))
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json["id"] == again.json["id"]


def test_authority_order_needs_the_authority(app, api):
    api.post_json("/items", text_item())
    response = api.post_json("/reports", notice(source="authority_order", reporter=None))
    assert response.status_code == 400 and response.json["error"]["field"] == "authority"
    ok = api.post_json(
        "/reports", notice(source="authority_order", reporter=None, authority="BKA", order_reference="2026-123")
    )
    assert ok.status_code == 201


@pytest.mark.parametrize(
    "overrides, status, code",
    [
        ({"source": "anonymous"}, 400, "invalid_source"),
        ({"category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH"}, 400, "invalid_category"),
        ({"item_external_id": None}, 400, "missing_field"),
        ({"item_id": 1}, 400, "missing_field"),
        ({"item_external_id": None, "item_id": "1"}, 400, "invalid_type"),
        ({"item_external_id": "unknown-post"}, 404, "item_not_found"),
        ({"reporter": {"email": "not an email"}}, 400, "invalid_email"),
        ({"reporter": {"phone": "123"}}, 400, "unknown_field"),
        ({"reporter": "erika"}, 400, "invalid_type"),
        ({"explanation": "x" * 5001}, 413, "too_long"),
    ],
)
def test_bad_reports(app, api, overrides, status, code):
    api.post_json("/items", text_item())
    response = api.post_json("/reports", notice(**overrides))
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    with app.app_context():
        assert db.session.scalars(select(Report)).all() == []
        assert db.session.scalars(select(ReportContact)).all() == []


def test_cannot_report_another_clients_item(app, api, client):
    from tests.support.api import ApiHelper
    from tests.support.factories import make_api_key

    item_id = api.post_json("/items", text_item()).json["id"]
    other = ApiHelper(client, make_api_key(app, "other-platform"))
    response = other.post_json("/reports", notice(item_external_id=None, item_id=item_id))
    assert response.status_code == 404

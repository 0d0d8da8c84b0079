"""Intake of the applicability facts: an item's audience (`visible_in`) and a report's issuer
(`issuing_jurisdiction`, `authority`, `authority_rank`), with the rank check of Indian orders."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.factories import image_bytes, text_item
from workbench.extensions import db
from workbench.models import AuditEvent, Item, Report


def count(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def test_visible_in_is_stored_normalised_and_shown(app, api):
    response = api.post_json("/items", text_item(visible_in=["fr", "DE", "de"]))
    assert response.status_code == 201, response.json
    document = api.get(f"/items/{response.json['id']}").json
    assert document["visible_in"] == ["DE", "FR"]
    with app.app_context():
        assert db.session.get(Item, response.json["id"]).visible_in == ["DE", "FR"]


def test_no_visible_in_means_everywhere(app, api):
    item_id = api.post_json("/items", text_item()).json["id"]
    assert api.get(f"/items/{item_id}").json["visible_in"] is None
    with app.app_context():
        assert db.session.get(Item, item_id).visible_in is None


def test_multipart_upload_takes_a_comma_separated_audience(app, api):
    response = api.post_image(
        image_bytes("PNG"), external_id="img-1", author_id="u1", country="GB", visible_in="AU, nz"
    )
    assert response.status_code == 201, response.json
    assert api.get(f"/items/{response.json['id']}").json["visible_in"] == ["AU", "NZ"]


@pytest.mark.parametrize(
    "visible_in, status, code",
    [
        ([], 400, "empty_visible_in"),
        (["DE", "XX"], 400, "invalid_country"),
        (["EU"], 400, "invalid_country"),
        (49, 400, "invalid_type"),
        ([1, 2], 400, "invalid_type"),
        ({"DE": True}, 400, "invalid_type"),
        (["DE"] * 300, 413, "too_long"),
    ],
)
def test_bad_visible_in_is_refused_and_nothing_is_written(app, api, visible_in, status, code):
    response = api.post_json("/items", text_item(visible_in=visible_in))
    assert response.status_code == status, response.json
    assert response.json["error"]["code"] == code
    assert response.json["error"]["field"] == "visible_in"
    assert count(app, Item) == 0


def test_an_empty_multipart_audience_is_refused(app, api):
    response = api.post_image(image_bytes("PNG"), external_id="img-2", author_id="u1", country="GB", visible_in=" , ")
    assert response.status_code == 400 and response.json["error"]["code"] == "empty_visible_in"
    assert count(app, Item) == 0


def order(**overrides) -> dict:
    body = {
        "item_external_id": "post-1",
        "source": "authority_order",
        "category": "other",
        "authority": "MeitY",
        "order_reference": "GSR-2026-1",
        "issuing_jurisdiction": "IN",
        "authority_rank": "joint_secretary",
    }
    body.update(overrides)
    return {k: v for k, v in body.items() if v is not None}


def test_a_report_keeps_its_issuer(app, api):
    api.post_json("/items", text_item(country="GB", visible_in=["IN"]))
    response = api.post_json("/reports", order(issuing_jurisdiction="in"))
    assert response.status_code == 201, response.json
    assert (response.json["issuing_jurisdiction"], response.json["authority"], response.json["authority_rank"]) == (
        "IN",
        "MeitY",
        "joint_secretary",
    )
    with app.app_context():
        report = db.session.get(Report, response.json["id"])
        assert (report.issuing_jurisdiction, report.authority_rank) == ("IN", "joint_secretary")
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report.received"))
        assert '"issuing_jurisdiction":"IN"' in event.payload


@pytest.mark.parametrize(
    "overrides, code",
    [
        ({"authority_rank": None}, "authority_rank_missing"),
        ({"authority_rank": "superintendent_of_police"}, "authority_rank_insufficient"),
        ({"authority_rank": "deputy_secretary"}, "authority_rank_insufficient"),
    ],
)
def test_an_indian_order_below_the_required_rank_is_refused_naming_the_rule(app, api, overrides, code):
    api.post_json("/items", text_item(country="GB", visible_in=["IN"]))
    response = api.post_json("/reports", order(**overrides))
    assert response.status_code == 422, response.json
    error = response.json["error"]
    assert error["code"] == code
    assert error["rule"] == "IN.government_or_court_order"
    assert "3(1)(d)" in error["citation"] and error["message"]
    assert count(app, Report) == 0
    with app.app_context():
        assert db.session.scalar(select(AuditEvent).where(AuditEvent.action == "report.received")) is None


@pytest.mark.parametrize("rank", ["court", "joint_secretary", "deputy_inspector_general"])
def test_an_indian_order_of_sufficient_rank_is_accepted(app, api, rank):
    api.post_json("/items", text_item(country="GB", visible_in=["IN"]))
    response = api.post_json("/reports", order(authority_rank=rank))
    assert response.status_code == 201, response.json


def test_orders_of_jurisdictions_without_a_rank_rule_need_no_rank(app, api):
    api.post_json("/items", text_item(country="US", visible_in=["DE"]))
    response = api.post_json(
        "/reports", order(issuing_jurisdiction="DE", authority="BKA", authority_rank=None, category="terrorism")
    )
    assert response.status_code == 201, response.json


@pytest.mark.parametrize(
    "overrides, status, code, field",
    [
        ({"issuing_jurisdiction": "XX"}, 400, "invalid_country", "issuing_jurisdiction"),
        ({"issuing_jurisdiction": "EU"}, 400, "invalid_country", "issuing_jurisdiction"),
        ({"authority_rank": "Joint Secretary"}, 400, "invalid_authority_rank", "authority_rank"),
        ({"authority_rank": "x" * 65}, 413, "too_long", "authority_rank"),
        ({"source": "user", "authority": None}, 400, "invalid_authority_rank", "authority_rank"),
        ({"authority_rank": 3}, 400, "invalid_type", "authority_rank"),
    ],
)
def test_bad_issuer_fields(app, api, overrides, status, code, field):
    api.post_json("/items", text_item(country="GB", visible_in=["IN"]))
    response = api.post_json("/reports", order(**overrides))
    assert response.status_code == status, response.json
    assert (response.json["error"]["code"], response.json["error"]["field"]) == (code, field)
    assert count(app, Report) == 0

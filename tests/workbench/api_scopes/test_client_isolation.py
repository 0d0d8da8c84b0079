"""Items, reports, appeals and webhook deliveries belong to the platform that sent them: platform
B, with every scope, cannot read A's item by id or by A's external_id, report it, appeal its
decision or read A's appeal; a shared external_id names two different items."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.support.api import ApiHelper
from tests.support.appeals_qa import appeal_body, client_of, decided_item
from tests.support.factories import make_api_key, text_item
from workbench.extensions import db
from workbench.models import Appeal, Report


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_another_platform_cannot_reach_an_items_reports_or_appeals(app, api, client):
    b = ApiHelper(client, make_api_key(app, "platform-b"))
    secret = "only platform A may read this"
    item_id = api.post_json("/items", text_item("a-post", text=secret)).json["id"]
    _, decision_id = decided_item(app, client_of(app, api), external_id="a-decided")
    appeal_id = api.post_json("/appeals", appeal_body(decision_id=decision_id)).json["id"]

    for path in (
        f"/items/{item_id}",
        "/items?external_id=a-post",
        "/items?external_id=a-decided",
        f"/appeals/{appeal_id}",
    ):
        response = b.get(path)
        assert response.status_code == 404, path
        assert secret not in response.get_data(as_text=True)
    for body in ({"item_id": item_id}, {"item_external_id": "a-post"}):
        reported = b.post_json("/reports", {"source": "user", "category": "spam", **body})
        assert reported.status_code == 404 and reported.json["error"]["code"] == "item_not_found", body
    for body in (appeal_body("b-1", decision_id=decision_id), appeal_body("b-2", item_external_id="a-decided")):
        assert b.post_json("/appeals", body).status_code == 404
    assert b.get("/webhook/deliveries").json["deliveries"] == []
    with app.app_context():
        assert db.session.scalar(select(func.count()).select_from(Report)) == 0
        assert db.session.scalar(select(func.count()).select_from(Appeal)) == 1

    # The same external_id from B is B's own, separate item; A still reads its own.
    mine = b.post_json("/items", text_item("a-post", text="B's post"))
    assert mine.status_code == 201 and mine.json["id"] != item_id
    assert b.get("/items?external_id=a-post").json["text"] == "B's post"
    assert api.get("/items?external_id=a-post").json["text"] == secret

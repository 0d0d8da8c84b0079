"""The item's evidence page: legal (or an admin) places, extends and releases a manual hold, each
audited; bad input is a form error; a moderator sees the holds but may not change them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.support.accounts import actions, make_items, post_form
from tests.support.auth import csrf_token_from
from workbench.extensions import db
from workbench.models import EvidenceHold, User
from workbench.models.base import utcnow


def scoped(app, username: str, countries=("DE",)) -> None:
    with app.app_context():
        row = db.session.scalar(select(User).where(User.username == username))
        row.jurisdictions, row.languages = list(countries), ["*"]
        db.session.commit()


def place(client, item_id: int, **fields):
    body = {
        "place-reason": "Preservation request of the Staatsanwaltschaft Köln",
        "place-citation": "StPO s. 94; request ref 12 Js 345/26",
        "place-jurisdiction": "DE",
        **{f"place-{k}": v for k, v in fields.items()},
    }
    return post_form(client, f"/items/{item_id}/holds", body, token_from=f"/items/{item_id}/evidence")


def holds(app) -> list[EvidenceHold]:
    with app.app_context():
        rows = db.session.scalars(select(EvidenceHold).order_by(EvidenceHold.id)).all()
        db.session.expunge_all()
        return rows


def test_legal_places_extends_and_releases_a_hold(app, client, auth):
    [item_id] = make_items(app, [("DE", "de")])
    auth.login("legal", username="counsel")
    scoped(app, "counsel")
    page = client.get(f"/items/{item_id}/evidence")
    assert page.status_code == 200 and "No active hold." in page.get_data(as_text=True)

    until = (utcnow() + timedelta(days=30)).date()
    assert place(client, item_id, ends_on=until.isoformat()).status_code == 302
    [hold] = holds(app)
    assert hold.ends_at.date() == until + timedelta(days=1) and hold.placed_by_user_id is not None
    shown = client.get(f"/items/{item_id}/evidence").get_data(as_text=True)
    assert "12 Js 345/26" in shown and "counsel" in shown and "Staatsanwaltschaft" in shown

    shorter = post_form(
        client,
        f"/items/{item_id}/holds/{hold.id}/extend",
        {"extend-ends_on": (until - timedelta(days=5)).isoformat(), "extend-reason": "renewed"},
        token_from=f"/items/{item_id}/evidence",
    )
    assert shorter.status_code == 400 and "can only be extended" in shorter.get_data(as_text=True)
    longer = post_form(
        client,
        f"/items/{item_id}/holds/{hold.id}/extend",
        {"extend-period": "P90D", "extend-reason": "renewed request"},
        token_from=f"/items/{item_id}/evidence",
    )
    assert longer.status_code == 302
    assert holds(app)[0].ends_at == hold.ends_at + timedelta(days=90)

    no_reason = post_form(
        client, f"/items/{item_id}/holds/{hold.id}/release", {}, token_from=f"/items/{item_id}/evidence"
    )
    assert no_reason.status_code == 400 and "Say why the hold is released." in no_reason.get_data(as_text=True)
    released = post_form(
        client,
        f"/items/{item_id}/holds/{hold.id}/release",
        {"release-reason": "request withdrawn"},
        token_from=f"/items/{item_id}/evidence",
    )
    assert released.status_code == 302
    assert holds(app)[0].released_at is not None and holds(app)[0].release_reason == "request withdrawn"
    assert "request withdrawn" in client.get(f"/items/{item_id}/evidence").get_data(as_text=True)
    assert actions(app, "hold.") == ["hold.placed", "hold.extended", "hold.released"]


def test_bad_input_is_a_form_error_and_nothing_is_written(app, client, auth):
    [item_id] = make_items(app, [("DE", "de")])
    auth.login("admin", username="boss")
    yesterday = (utcnow() - timedelta(days=1)).date().isoformat()
    for fields, message in (
        ({"ends_on": yesterday}, "The end must be in the future."),
        ({"period": "P1M", "reason": ""}, "Give a reason."),
        ({"period": "P1M", "reason": "x" * 2001}, "Field cannot be longer than 2000 characters."),
        ({}, "Give either an end date or a period"),
        ({"ends_on": "31/12/2099"}, "Not a valid date value."),
        ({"period": "forever"}, "is not an ISO 8601 duration"),
        ({"period": "P1M", "jurisdiction": "Mars"}, "not a country code"),
    ):
        response = place(client, item_id, **fields)
        assert response.status_code == 400, fields
        assert message in response.get_data(as_text=True).replace("&#39;", "'"), (fields, message)
    no_csrf = client.post(f"/items/{item_id}/holds", data={"place-reason": "x", "place-period": "P1M"})
    assert no_csrf.status_code == 400
    assert holds(app) == [] and actions(app, "hold.") == []


def test_a_moderator_sees_holds_but_may_not_change_them(app, client, auth):
    [item_id, elsewhere] = make_items(app, [("DE", "de"), ("IN", "hi")])
    auth.login("moderator", username="mod")
    scoped(app, "mod")
    page = client.get(f"/items/{item_id}/evidence")
    assert page.status_code == 200 and "Place a legal hold" not in page.get_data(as_text=True)
    assert client.get(f"/items/{elsewhere}/evidence").status_code == 404  # outside the moderator's scope
    token = csrf_token_from(page.get_data(as_text=True))
    refused = client.post(
        f"/items/{item_id}/holds",
        data={
            "csrf_token": token,
            "place-reason": "x",
            "place-citation": "y",
            "place-jurisdiction": "DE",
            "place-period": "P1M",
        },
    )
    assert refused.status_code == 403 and holds(app) == []

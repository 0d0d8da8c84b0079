"""The appeal pages: permissions, CSRF, escaping, the decision form and its refusals."""

from __future__ import annotations

from tests.support.accounts import PASSWORD, log_in, post_form, text_of
from tests.support.appeals_qa import appeal_body, client_of, decided_item, set_webhook
from tests.support.factories import make_user
from workbench.extensions import db
from workbench.models import Appeal

XSS = '<script>alert("x")</script><img src=x onerror=alert(1)>'


def _appeal(app, api, *, decider_id=None, text="plain text", explanation="satire"):
    cid = client_of(app, api)
    set_webhook(app, cid)
    _, decision_id = decided_item(app, cid, decider_id=decider_id, text=text)
    response = api.post_json(
        "/appeals", appeal_body(f"p-{decision_id}", decision_id=decision_id, explanation=explanation)
    )
    return response.get_json()["id"]


def test_appeal_pages_need_login_and_the_permission(app, api, client, auth):
    appeal_id = _appeal(app, api)
    for path in ("/appeals", f"/appeals/{appeal_id}"):
        assert client.get(path).status_code in (302, 401)
    auth.login("moderator")
    for path in ("/appeals", f"/appeals/{appeal_id}"):
        assert client.get(path).status_code == 403
    assert client.post(f"/appeals/{appeal_id}", data={"outcome": "overturn"}).status_code in (400, 403)


def test_the_appeal_page_escapes_user_content(app, api, client, auth):
    appeal_id = _appeal(app, api, text=XSS, explanation=XSS)
    auth.login("senior_moderator")
    listing = text_of(client.get("/appeals"))
    assert f"/appeals/{appeal_id}" in listing
    page = text_of(client.get(f"/appeals/{appeal_id}"))
    assert XSS not in page
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert 'name="csrf_token"' in page and "appeals_qa.js" in page
    assert "<script>" not in page.replace('<script src="/static/appeals_qa.js" defer></script>', "")


def test_deciding_through_the_form_needs_csrf_and_records_the_outcome(app, api, client, auth):
    appeal_id = _appeal(app, api)
    auth.login("senior_moderator")
    refused = client.post(f"/appeals/{appeal_id}", data={"outcome": "overturn", "reply": "Restored."})
    assert refused.status_code == 400  # CSRFProtect: no token
    with app.app_context():
        assert db.session.get(Appeal, appeal_id).is_open
    response = post_form(client, f"/appeals/{appeal_id}", {"outcome": "overturn", "reply": "Restored <b>now</b>."})
    assert response.status_code == 302
    page = text_of(client.get(f"/appeals/{appeal_id}"))
    assert "overturn" in page and "Restored &lt;b&gt;now&lt;/b&gt;." in page
    with app.app_context():
        appeal = db.session.get(Appeal, appeal_id)
        assert appeal.outcome == "overturn" and appeal.outcome_decision_id is not None


def test_the_original_decider_sees_a_refusal_and_cannot_post(app, api, client):
    decider_id = make_user(app, "senior-original", "senior_moderator")
    appeal_id = _appeal(app, api, decider_id=decider_id)
    log_in(client, "senior-original", PASSWORD)
    page = text_of(client.get(f"/appeals/{appeal_id}"))
    assert "another senior moderator must decide the appeal" in page
    assert 'id="appeal-form"' not in page
    token_page = client.get("/appeals")  # a CSRF token from a page the user may open
    from tests.support.auth import csrf_token_from

    response = client.post(
        f"/appeals/{appeal_id}",
        data={"outcome": "overturn", "reply": "Mine anyway.", "csrf_token": csrf_token_from(text_of(token_page))},
    )
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(Appeal, appeal_id).is_open


def test_next_appeal_claims_the_most_urgent_one(app, api, client, auth):
    appeal_id = _appeal(app, api)
    auth.login("senior_moderator")
    response = post_form(client, "/appeals/next", token_from="/appeals")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/appeals/{appeal_id}")

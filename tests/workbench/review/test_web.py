"""The review UI through the real routes: queues, the case page, decisions, CSRF, XSS, media."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.support.accounts import log_in, text_of
from tests.support.auth import csrf_token_from
from tests.support.factories import make_user
from tests.workbench.review.helpers import make_case
from workbench.extensions import db
from workbench.models import AuditEvent, Case, Decision

RULE = "GLOBAL@1:global.reports.user-volume"


def _decide(client, case_id, **overrides):
    page = client.get(f"/cases/{case_id}")
    data = {
        "csrf_token": csrf_token_from(text_of(page)),
        "rule": RULE,
        "outcome": "remove",
        "territorial_scope": "everywhere",
        "internal_note": "spam ring",
        "user_explanation": "Removed: spam.",
        "claim_token": re.search(r'name="claim_token" type="hidden" value="(\d+)"', text_of(page)).group(1),
        "then": "next",
    }
    data.update(overrides)
    return client.post(f"/cases/{case_id}/decide", data=data)


def _next(client):
    page = client.get("/queues")
    return client.post("/queues/next", data={"csrf_token": csrf_token_from(text_of(page))})


def test_queues_overview_is_scoped(app, client):
    make_case(app, country="DE", language="de", due_in_h=-1)
    make_case(app, country="DE", language="de", queue="hate_speech", due_in_h=0.5)
    make_case(app, country="FR", language="fr", queue="violence")
    make_user(app, "german", "moderator", jurisdictions=["DE"], languages=["de"])
    log_in(client, "german")
    html = text_of(client.get("/queues"))
    table = html.split('id="queues-table"')[1].split("</table>")[0]
    assert "user_reports" in table and "hate_speech" in table and "violence" not in table
    assert 'class="late">1<' in table and 'class="soon">1<' in table


def test_roles_without_review_cannot_open_queues(app, client):
    make_user(app, "aud", "auditor")
    log_in(client, "aud")
    assert client.get("/queues").status_code == 403


def test_claim_decide_and_next_through_the_web(app, client, auth):
    first = make_case(app, priority="high")
    second = make_case(app)
    auth.login("moderator", "mia")
    response = _next(client)
    assert response.headers["Location"].endswith(f"/cases/{first}")
    response = _decide(client, first)
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/cases/{second}")
    with app.app_context():
        decision = db.session.scalar(select(Decision).where(Decision.case_id == first))
        assert decision.outcome == "remove" and decision.internal_note == "spam ring"
        assert db.session.get(Case, second).claimed_by_user_id is not None
    page = text_of(client.get(f"/cases/{first}"))
    assert "decision.human" in page and "case.claimed" in page


def test_decision_errors_are_shown_in_the_form(app, client, auth):
    case_id = make_case(app)
    auth.login("moderator", "mia")
    _next(client)
    response = _decide(client, case_id, user_explanation="")
    assert response.status_code == 422 and "Write the explanation the user will receive." in text_of(response)
    response = _decide(client, case_id, territorial_scope="FR")
    assert response.status_code == 422 and "applies everywhere" in text_of(response)
    with app.app_context():
        assert db.session.get(Case, case_id).is_open


def test_decision_after_losing_the_lease_is_refused_clearly(app, client, auth):
    case_id = make_case(app)
    auth.login("moderator", "mia")
    _next(client)
    page = client.get(f"/cases/{case_id}")
    with app.app_context():  # the lease runs out while the moderator was away
        db.session.execute(Case.__table__.update().values(lease_expires_at=Case.created_at))
        db.session.commit()
    data = {
        "csrf_token": csrf_token_from(text_of(page)),
        "rule": RULE,
        "outcome": "remove",
        "territorial_scope": "everywhere",
        "internal_note": "n",
        "user_explanation": "e",
        "then": "next",
    }
    response = client.post(f"/cases/{case_id}/decide", data=data)
    assert response.status_code == 409
    assert "expired" in text_of(response) and "nothing was saved" in text_of(response)


def test_decision_form_without_csrf_is_rejected(app, client, auth):
    case_id = make_case(app)
    auth.login("moderator", "mia")
    _next(client)
    response = client.post(
        f"/cases/{case_id}/decide",
        data={
            "rule": RULE,
            "outcome": "remove",
            "territorial_scope": "everywhere",
            "internal_note": "n",
            "user_explanation": "e",
        },
    )
    assert response.status_code == 400
    response = client.post(f"/review/api/cases/{case_id}/decide", json={"rule": RULE, "outcome": "remove"})
    assert response.status_code == 400
    with app.app_context():
        assert db.session.get(Case, case_id).is_open and db.session.scalar(select(Decision)) is None


def test_xss_payload_in_item_text_is_shown_as_text(app, client, auth):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    case_id = make_case(app, text=payload)
    auth.login("moderator", "mia")
    html = text_of(client.get(f"/cases/{case_id}"))
    assert payload not in html
    assert "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;&lt;img src=x onerror=alert(1)&gt;" in html
    assert "<script>alert" not in html and "<img src=x" not in html


def test_out_of_scope_case_is_not_found(app, client):
    case_id = make_case(app, country="FR", language="fr")
    make_user(app, "german", "moderator", jurisdictions=["DE"], languages=["de"])
    log_in(client, "german")
    assert client.get(f"/cases/{case_id}").status_code == 404
    assert client.get(f"/cases/{case_id}/media").status_code == 404


def test_escalate_and_hold_through_the_web(app, client, auth):
    first, second = make_case(app, priority="high"), make_case(app)
    auth.login("moderator", "mia")
    _next(client)
    page = text_of(client.get(f"/cases/{first}"))
    response = client.post(
        f"/cases/{first}/escalate",
        data={"csrf_token": csrf_token_from(page), "reason": "looks like a legal order", "to": "legal"},
    )
    assert response.status_code == 302
    _next(client)
    page = text_of(client.get(f"/cases/{second}"))
    response = client.post(
        f"/cases/{second}/hold",
        data={"csrf_token": csrf_token_from(page), "reason": "asked the platform", "hours": "2"},
    )
    assert response.status_code == 302
    with app.app_context():
        assert db.session.get(Case, first).escalated and db.session.get(Case, first).claimed_by_user_id is None
        assert db.session.get(Case, second).held_until is not None
        actions = set(db.session.scalars(select(AuditEvent.action)))
    assert {"case.escalated", "case.held"} <= actions


def test_renew_and_decide_json_endpoints(app, client, auth):
    case_id = make_case(app)
    auth.login("moderator", "mia")
    token = csrf_token_from(text_of(client.get("/queues")))
    headers = {"X-CSRFToken": token}
    claimed = client.post("/review/api/next", json={}, headers=headers).get_json()["case"]
    assert claimed["id"] == case_id and claimed["rules"][0]["routed"]
    assert client.post(f"/review/api/cases/{case_id}/renew", headers=headers).status_code == 200
    bad = client.post(
        f"/review/api/cases/{case_id}/decide",
        headers=headers,
        json={"rule": RULE, "outcome": "teleport", "internal_note": "n", "user_explanation": "e"},
    )
    assert bad.status_code == 422 and bad.get_json()["error"]["code"] == "OutcomeNotAllowed"
    ok = client.post(
        f"/review/api/cases/{case_id}/decide",
        headers=headers,
        json={
            "rule": RULE,
            "outcome": "no_action",
            "internal_note": "n",
            "user_explanation": "e",
            "claim_token": claimed["claim_token"],
        },
    )
    assert ok.status_code == 201
    lost = client.post(f"/review/api/cases/{case_id}/renew", headers=headers)
    assert lost.status_code == 409 and "already decided" in lost.get_json()["error"]["message"]


def test_media_is_served_through_the_authenticated_route_blurred_by_default(app, client, api, auth):
    from tests.support.factories import image_bytes

    data = image_bytes("PNG")
    response = api.post_image(data, external_id="img-1", author_id="u1", country="DE")
    assert response.status_code in (201, 202), response.get_json()
    item_id = response.get_json()["id"]
    case_id = make_case(app)
    with app.app_context():  # put the image item on the case
        db.session.get(Case, case_id).item_id = item_id
        db.session.commit()
    anonymous = app.test_client()
    assert anonymous.get(f"/cases/{case_id}/media").status_code in (302, 401)
    auth.login("moderator", "mia")
    _next(client)
    html = text_of(client.get(f"/cases/{case_id}"))
    assert f'src="/cases/{case_id}/media"' in html and "wb-blur" in html and "wb-gray" in html
    media = client.get(f"/cases/{case_id}/media")
    assert media.status_code == 200 and media.data == data
    assert media.headers["Content-Type"] == "image/png"
    assert media.headers["Content-Disposition"].startswith("inline; filename=")
    assert media.headers["X-Content-Type-Options"] == "nosniff"


def test_queue_page_and_claiming_a_particular_case(app, client, auth):
    first, second = make_case(app, priority="high"), make_case(app)
    auth.login("moderator", "mia")
    html = text_of(client.get("/queues/user_reports"))
    assert f'/cases/{first}"' in html and f'/cases/{second}"' in html
    page = text_of(client.get(f"/cases/{second}"))
    assert "Nobody holds this case." in page and 'id="decision-form"' not in page
    response = client.post(f"/cases/{second}/claim", data={"csrf_token": csrf_token_from(page)})
    assert response.headers["Location"].endswith(f"/cases/{second}")
    assert 'id="decision-form"' in text_of(client.get(f"/cases/{second}"))
    with app.app_context():
        assert db.session.get(Case, second).claimed_by_user_id is not None
        assert db.session.get(Case, first).claimed_by_user_id is None

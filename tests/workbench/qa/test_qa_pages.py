"""QA pages: who may open them, CSRF, escaping, the review form and the agreement page."""

from __future__ import annotations

from tests.support.accounts import PASSWORD, log_in, post_form, text_of
from tests.support.appeals_qa import client_of, decided_item
from tests.support.factories import make_user
from workbench.extensions import db
from workbench.models import Decision, QaSample
from workbench.services.qa.reviews import sample_decision

XSS = '<script>alert("qa")</script>'


def _sample(app, api, decider_id=None, text="text") -> int:
    _, decision_id = decided_item(app, client_of(app, api), decider_id=decider_id, text=text)
    with app.app_context():
        sample = sample_decision(db.session, db.session.get(Decision, decision_id), rate=1.0)
        db.session.commit()
        return sample.id


def test_qa_pages_by_role(app, api, client, auth):
    sample_id = _sample(app, api)
    assert client.get("/qa").status_code == 302  # to the login page
    auth.login("moderator")
    for path in ("/qa", f"/qa/{sample_id}", "/qa/agreement"):
        assert client.get(path).status_code == 403


def test_admin_sees_agreement_but_does_not_review(app, api, client, auth):
    auth.login("admin")
    assert client.get("/qa/agreement").status_code == 200
    assert client.get("/qa").status_code == 403


def test_review_through_the_form_with_csrf_and_escaped_content(app, api, client, auth):
    sample_id = _sample(app, api, text=XSS)
    auth.login("senior_moderator")
    assert '<strong id="qa-pending">1</strong>' in text_of(client.get("/qa"))
    claimed = post_form(client, "/qa/next", token_from="/qa")
    assert claimed.status_code == 302 and claimed.headers["Location"].endswith(f"/qa/{sample_id}")
    page = text_of(client.get(f"/qa/{sample_id}"))
    assert XSS not in page and "&lt;script&gt;alert(&#34;qa&#34;)&lt;/script&gt;" in page
    no_token = client.post(
        f"/qa/{sample_id}", data={"verdict": "disagree", "reviewer_outcome": "no_action", "note": "x"}
    )
    assert no_token.status_code == 400
    done = post_form(client, f"/qa/{sample_id}", {"verdict": "disagree", "reviewer_outcome": "no_action", "note": XSS})
    assert done.status_code == 302
    with app.app_context():
        sample = db.session.get(QaSample, sample_id)
        assert (sample.verdict, sample.reviewer_outcome, sample.note) == ("disagree", "no_action", XSS)
    reviewed = text_of(client.get(f"/qa/{sample_id}"))
    assert XSS not in reviewed and "disagree" in reviewed
    agreement = text_of(client.get("/qa/agreement"))
    assert "automated" in agreement and "0.0%" in agreement


def test_the_original_decider_cannot_review_their_decision(app, api, client):
    decider_id = make_user(app, "qa-own", "senior_moderator")
    sample_id = _sample(app, api, decider_id=decider_id)
    log_in(client, "qa-own", PASSWORD)
    page = text_of(client.get(f"/qa/{sample_id}"))
    assert "You took this decision" in page and 'id="qa-form"' not in page
    from tests.support.auth import csrf_token_from

    token = csrf_token_from(text_of(client.get("/qa")))
    response = client.post(f"/qa/{sample_id}", data={"verdict": "agree", "csrf_token": token})
    assert response.status_code == 409
    with app.app_context():
        assert db.session.get(QaSample, sample_id).status == "pending"


def test_out_of_scope_sample_is_404(app, api, client):
    sample_id = _sample(app, api)  # a German item
    make_user(app, "qa-fr", "senior_moderator", jurisdictions=("FR",))
    log_in(client, "qa-fr", PASSWORD)
    assert client.get(f"/qa/{sample_id}").status_code == 404

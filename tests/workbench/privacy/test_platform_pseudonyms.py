"""User "42" of platform A and user "42" of platform B are different people: a subject-access
export or an erasure for one never returns or erases the other's data, and the author history
and bulk "by author" on the case page do not mix them (issue 16, finding 3)."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from tests.support.api import ApiHelper
from tests.support.auth import csrf_token_from
from tests.support.factories import make_api_key, text_item
from tests.workbench.review.helpers import decision_kwargs, publish_default_packs, user
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import ApiClient, Case, Item, Report, ReportContact
from workbench.services.review import claims
from workbench.services.review.bulk import bulk_targets
from workbench.services.review.case_view import case_view
from workbench.services.review.decisions import decide_case


def platforms(app, client):
    """Two platforms, each with its own API key, as the real API sees them."""
    a, b = ApiHelper(client, make_api_key(app, "platform-a")), ApiHelper(client, make_api_key(app, "platform-b"))
    with app.app_context():
        ids = dict(db.session.execute(select(ApiClient.name, ApiClient.id)).all())
    return a, b, ids["platform-a"], ids["platform-b"]


def post(api, external_id: str, author: str, text: str) -> int:
    response = api.post_json("/items", text_item(external_id, author_id=author, text=text))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"]


def seed_two_people_named_42(app, client):
    a, b, a_id, b_id = platforms(app, client)
    a_item = post(a, "a-1", "42", "written by 42 on platform A")
    b_item = post(b, "b-1", "42", "written by 42 on platform B")
    a_other, b_other = post(a, "a-x", "7", "someone on A"), post(b, "b-x", "7", "someone on B")
    for api, item_id, email in ((a, a_other, "42@platform-a.example"), (b, b_other, "42@platform-b.example")):
        response = api.post_json(
            "/reports",
            {
                "item_id": item_id,
                "source": "user",
                "category": "spam",
                "explanation": f"report by 42 ({email})",
                "reporter": {"id": "42", "name": "Forty Two", "email": email},
            },
        )
        assert response.status_code == 201, response.get_json()
    return a, b, a_id, b_id, a_item, b_item


def test_the_same_user_id_on_two_platforms_gets_two_pseudonyms(app, client):
    a, b, _, _, a_item, b_item = seed_two_people_named_42(app, client)
    author_a, author_b = a.get(f"/items/{a_item}").json["author"], b.get(f"/items/{b_item}").json["author"]
    assert author_a != author_b
    with app.app_context():
        reporters = db.session.scalars(select(Report.reporter_pseudonym).order_by(Report.id)).all()
    assert reporters == [author_a, author_b]


def test_subject_access_for_platform_a_returns_only_platform_a(app, client):
    _, _, _, _, a_item, _ = seed_two_people_named_42(app, client)
    result = app.test_cli_runner().invoke(args=["privacy", "export", "--platform", "platform-a", "--user-id", "42"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert document["platform"] == "platform-a"
    assert [item["id"] for item in document["items"]] == [a_item]
    assert [r["contact"]["email"] for r in document["reports_made"]] == ["42@platform-a.example"]
    assert "platform B" not in result.output and "42@platform-b.example" not in result.output
    unknown = app.test_cli_runner().invoke(args=["privacy", "export", "--platform", "nope", "--user-id", "42"])
    assert unknown.exit_code == 2 and "no API client named 'nope'" in unknown.output

    erased = app.test_cli_runner().invoke(args=["privacy", "erase", "--platform", "platform-b", "--user-id", "42"])
    assert erased.exit_code == 0 and "1 item(s) erased" in erased.output, erased.output
    with app.app_context():
        assert db.session.get(Item, a_item).text == "written by 42 on platform A"


def test_the_admin_pages_ask_which_platform_and_erase_only_its_user(app, client, auth):
    _, _, a_id, b_id, a_item, b_item = seed_two_people_named_42(app, client)
    auth.login("admin")
    page = client.get("/admin/privacy/").get_data(as_text=True)
    assert 'name="client_id"' in page and "platform-a" in page and "platform-b" in page
    token = csrf_token_from(page)

    missing = client.post("/admin/privacy/", data={"user_id": "42", "csrf_token": token})
    assert missing.status_code == 400 and "Choose the platform." in missing.get_data(as_text=True)
    unchosen = client.post("/admin/privacy/", data={"client_id": "", "user_id": "42", "csrf_token": token})
    assert unchosen.status_code == 400 and "Choose the platform." in unchosen.get_data(as_text=True)
    for bad in ("999", "abc"):
        bogus = client.post("/admin/privacy/", data={"client_id": bad, "user_id": "42", "csrf_token": token})
        assert bogus.status_code == 400 and 'class="error"' in bogus.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Item, a_item).erased_at is None  # a refused form erased nothing

    export = client.post(
        "/admin/privacy/export", data={"x-client_id": str(b_id), "x-user_id": "42", "x-csrf_token": token}
    )
    assert export.status_code == 200 and [i["id"] for i in export.get_json()["items"]] == [b_item]

    erased = client.post("/admin/privacy/", data={"client_id": str(a_id), "user_id": "42", "csrf_token": token})
    assert erased.status_code == 200 and "1 item(s) erased" in erased.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(Item, a_item).text is None and db.session.get(Item, a_item).erased_at is not None
        kept = db.session.get(Item, b_item)
        assert kept.text == "written by 42 on platform B" and kept.erased_at is None
        emails = db.session.scalars(select(ReportContact.email)).all()
        assert emails == ["42@platform-b.example"]  # A's reporter contact went, B's stays
        explanations = db.session.scalars(select(Report.explanation).order_by(Report.id)).all()
        assert explanations == [None, "report by 42 (42@platform-b.example)"]


def open_case(app, item_id: int) -> int:
    from policies.catalogue import default_catalogue
    from workbench.models.base import utcnow

    with app.app_context():
        db.session.get(Item, item_id).status = "processed"
        now = utcnow()
        case = Case(
            item_id=item_id,
            queue="user_reports",
            priority="normal",
            priority_rank=2,
            status="open",
            due_at=now + timedelta(hours=24),
            rule_jurisdiction="GLOBAL",
            rule_pack_version=1,
            rule_id="global.reports.user-volume",
            escalations=[],
            created_at=now,
            updated_at=now,
            jurisdictions=default_catalogue().applicable_jurisdictions("DE"),
        )
        db.session.add(case)
        db.session.commit()
        return case.id


def test_author_history_and_bulk_by_author_stay_within_the_platform(app, client):
    publish_default_packs(app)
    a, b, _, _, a_first, b_first = seed_two_people_named_42(app, client)
    moderator = user(app, "mod-42")
    for item_id in (a_first, b_first):  # an earlier decision on each platform's "42"
        case_id = open_case(app, item_id)
        with app.app_context():
            claims.claim_next(db.session, moderator, settings=workbench_settings.current())
            decide_case(db.session, case_id, moderator, **decision_kwargs(), settings=workbench_settings.current())
    a_case = open_case(app, post(a, "a-2", "42", "more from 42 on A"))
    a_sibling = open_case(app, post(a, "a-3", "42", "and more from 42 on A"))
    open_case(app, post(b, "b-2", "42", "more from 42 on B"))
    with app.app_context():
        history = case_view(db.session, a_case, moderator, settings=workbench_settings.current()).author_history
        assert [decision.item_id for decision in history] == [a_first]
        assert [case.id for case in bulk_targets(db.session, a_case, moderator, "author")] == [a_sibling]

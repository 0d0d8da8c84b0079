"""The policy editor over HTTP: permissions, CSRF, drafts, validation, publishing, rollback, escaping."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests.support.auth import csrf_token_from
from tests.support.factories import TEST_ACTOR
from tests.support.policies import add_signals, report, rows, stored_item
from workbench.extensions import db
from workbench.models import AuditEvent, PolicyDraft, PolicyVersion, User
from workbench.services.policy import packs as policy_packs


def seed(app):
    with app.app_context():
        policy_packs.ensure_default_packs(db.session)


def versions(app, jurisdiction: str) -> list[PolicyVersion]:
    return rows(app, PolicyVersion, jurisdiction=jurisdiction)


def new_draft(client, jurisdiction: str) -> tuple[int, str]:
    """Through the UI: the pack page's button; returns the draft id and its page."""
    token = csrf_token_from(client.get(f"/policies/{jurisdiction}").get_data(as_text=True))
    response = client.post(f"/policies/{jurisdiction}/drafts", data={"csrf_token": token})
    assert response.status_code == 302, response.get_data(as_text=True)
    draft_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return draft_id, client.get(response.headers["Location"]).get_data(as_text=True)


def events(app, action: str) -> list[AuditEvent]:
    return rows(app, AuditEvent, action=action)


def test_a_new_install_starts_with_the_default_packs(app, auth, client):
    auth.login("policy_editor")
    page = client.get("/policies/")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    for code in ("GLOBAL", "EU", "DE", "GB", "IN", "AU", "US"):
        assert f'href="/policies/{code}"' in html
        assert [v.number for v in versions(app, code)] == [1]
    published = events(app, "policy.published")
    assert len(published) == 7 and {(e.actor_type, e.actor_id) for e in published} == {("system", "policy-seed")}
    client.get("/policies/")  # seeding again changes nothing
    assert len(events(app, "policy.published")) == 7


def test_the_cli_seed_is_idempotent(app):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["policies", "seed"])
    assert first.exit_code == 0 and "published 7 default pack(s)" in first.output
    again = runner.invoke(args=["policies", "seed"])
    assert again.exit_code == 0 and "published 0 default pack(s)" in again.output
    listing = runner.invoke(args=["policies", "list"])
    assert "DE      version 1" in listing.output


def test_the_cli_refuses_an_invalid_pack_with_its_line(app, tmp_path):
    seed(app)
    bad = tmp_path / "de.yaml"
    bad.write_text("jurisdiction: DE\nversion: '2'\nrules:\n  - id: de.x\n    description: x\n    condition: {}\n")
    result = app.test_cli_runner().invoke(args=["policies", "publish", str(bad), "--note", "x"])
    assert result.exit_code != 0
    assert re.search(rf"{re.escape(str(bad))}:4:\d+: ", result.output)
    assert [v.number for v in versions(app, "DE")] == [1]


@pytest.mark.parametrize(
    "role,view,edit",
    [
        ("policy_editor", 200, True),
        ("auditor", 200, False),
        ("admin", 200, False),
        ("moderator", 403, False),
        ("senior_moderator", 403, False),
    ],
)
def test_who_may_view_edit_and_publish(app, auth, client, role, view, edit):
    seed(app)
    with app.app_context():
        pack = policy_packs.get_pack(db.session, "DE")
        draft_id = policy_packs.create_draft(db.session, pack, TEST_ACTOR).id
    auth.login(role)
    assert client.get("/policies/").status_code == view
    assert client.get("/policies/DE").status_code == view
    assert client.get(f"/policies/DE/drafts/{draft_id}").status_code == view
    assert client.get("/policies/DE/diff").status_code == view
    assert client.get("/policies/hit-rates").status_code == view
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    expected = 302 if edit else 403
    assert client.post("/policies/DE/drafts", data={"csrf_token": token}).status_code == expected
    publish = client.post(f"/policies/DE/drafts/{draft_id}/publish", data={"csrf_token": token, "note": "n"})
    assert publish.status_code == expected
    assert client.post("/policies/DE/versions/1/rollback", data={"csrf_token": token}).status_code == expected
    assert client.get("/policies/test").status_code == (200 if edit else 403)
    if view == 200 and not edit:  # read-only: no editing controls on the page
        assert "Save draft" not in client.get(f"/policies/DE/drafts/{draft_id}").get_data(as_text=True)


def test_pages_need_a_login(client):
    response = client.get("/policies/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_changes_need_the_csrf_token(app, auth, client):
    seed(app)
    auth.login("policy_editor")
    assert client.post("/policies/DE/drafts").status_code == 400
    assert client.post("/policies/validate", json={"text": "x"}).status_code == 400
    assert rows(app, PolicyDraft) == []


def test_an_invalid_draft_shows_the_line_and_never_touches_the_published_version(app, auth, client):
    seed(app)
    auth.login("policy_editor")
    published = versions(app, "DE")[0]
    draft_id, page = new_draft(client, "DE")
    token = csrf_token_from(page)
    lines = published.text.split("\n")
    broken_line = next(i for i, line in enumerate(lines, 1) if "identity_attack >= 0.8" in line)
    broken = published.text.replace('signal: "identity_attack >= 0.8"', 'signal: "identity_attack => 0.8"')

    saved = client.post(f"/policies/DE/drafts/{draft_id}", data={"csrf_token": token, "text": broken})
    assert saved.status_code == 422  # kept as a draft, with its problems listed
    html = saved.get_data(as_text=True)
    assert f"line {broken_line}, column" in html and "Draft saved with 1 error(s)" in html
    assert rows(app, PolicyDraft, id=draft_id)[0].text == broken

    refused = client.post(f"/policies/DE/drafts/{draft_id}/publish", data={"csrf_token": token, "note": "try"})
    assert refused.status_code == 422
    assert "Not published" in refused.get_data(as_text=True)
    assert [(v.number, v.sha256) for v in versions(app, "DE")] == [(1, published.sha256)]

    yaml_error = client.post(
        f"/policies/DE/drafts/{draft_id}", data={"csrf_token": token, "text": "jurisdiction: DE\nrules:\n\t- id: x\n"}
    )
    assert yaml_error.status_code == 422 and "line 3, column 1" in yaml_error.get_data(as_text=True)
    assert [v.number for v in versions(app, "DE")] == [1]


def test_inline_validation_endpoint(app, auth, client):
    seed(app)
    auth.login("policy_editor")
    _, page = new_draft(client, "DE")
    headers = {"X-CSRFToken": csrf_token_from(page)}
    text = versions(app, "DE")[0].text
    ok = client.post("/policies/validate", json={"text": text, "jurisdiction": "DE"}, headers=headers).get_json()
    assert ok == {"valid": True, "issues": []}
    wrong = client.post("/policies/validate", json={"text": text, "jurisdiction": "FR"}, headers=headers).get_json()
    jurisdiction_line = text.split("\n").index("jurisdiction: DE") + 1
    assert wrong["valid"] is False
    assert [(i["line"], i["path"]) for i in wrong["issues"]] == [(jurisdiction_line, "jurisdiction")]
    assert text.count("content_class: illegal_content_notice") == 1
    typo = text.replace("content_class: illegal_content_notice", "content_class: illegal_content_notise")
    result = client.post("/policies/validate", json={"text": typo}, headers=headers).get_json()
    typo_line = typo.split("\n").index("    content_class: illegal_content_notise") + 1
    assert [(i["line"], i["severity"]) for i in result["issues"]] == [(typo_line, "error")]
    assert "unknown content class 'illegal_content_notise'" in result["issues"][0]["message"]
    bad = client.post("/policies/validate", json={"nope": 1}, headers=headers)
    assert bad.status_code == 400 and bad.get_json()["error"]["code"] == "bad_request"


def test_publish_and_rollback_record_who_when_and_why(app, auth, client):
    seed(app)
    auth.login("policy_editor")
    draft_id, page = new_draft(client, "DE")
    token = csrf_token_from(page)
    v1 = versions(app, "DE")[0]
    edited = v1.text.replace('signal: "identity_attack >= 0.8"', 'signal: "identity_attack >= 0.85"')
    assert client.post(f"/policies/DE/drafts/{draft_id}", data={"csrf_token": token, "text": edited}).status_code == 200
    assert (
        client.post(f"/policies/DE/drafts/{draft_id}/publish", data={"csrf_token": token, "note": ""}).status_code
        == 422
    )  # a note is required
    response = client.post(
        f"/policies/DE/drafts/{draft_id}/publish", data={"csrf_token": token, "note": "Fewer false positives"}
    )
    assert response.status_code == 302
    with app.app_context():
        editor_id = db.session.scalar(select(User.id).where(User.username == "policy_editor-user"))
    v2 = versions(app, "DE")[1]
    assert (v2.number, v2.text, v2.note, v2.published_by, v2.published_by_user_id) == (
        2,
        edited,
        "Fewer false positives",
        f"user:{editor_id}",
        editor_id,
    )
    assert rows(app, PolicyDraft, id=draft_id)[0].published_version_id == v2.id
    again = client.post(f"/policies/DE/drafts/{draft_id}/publish", data={"csrf_token": token, "note": "twice"})
    assert again.status_code == 302 and len(versions(app, "DE")) == 2  # a published draft is closed

    diff = client.get("/policies/DE/diff?from=v1&to=v2").get_data(as_text=True)
    assert "de.dsa.hate-speech-notice" in diff and "identity_attack &gt;= 0.85" in diff

    rollback = client.post("/policies/DE/versions/1/rollback", data={"csrf_token": token, "note": "Too lax"})
    assert rollback.status_code == 302
    v3 = versions(app, "DE")[2]
    assert (v3.number, v3.text, v3.sha256, v3.rollback_of, v3.note) == (3, v1.text, v1.sha256, 1, "Too lax")
    user_events = [e for e in events(app, "policy.published") if e.actor_type == "user"]
    assert [
        (e.actor_id, json.loads(e.payload)["number"], json.loads(e.payload)["rollback_of"]) for e in user_events
    ] == [(str(editor_id), 2, None), (str(editor_id), 3, 1)]
    pack_page = client.get("/policies/DE").get_data(as_text=True)
    assert "rollback to 1" in pack_page and "Fewer false positives" in pack_page


def test_published_versions_cannot_be_changed(app):
    from workbench.models.policy import PublishedVersionIsImmutable

    seed(app)
    with app.app_context():
        version = db.session.scalar(select(PolicyVersion).where(PolicyVersion.jurisdiction == "DE"))
        version.text = "tampered"
        with pytest.raises(PublishedVersionIsImmutable):
            db.session.flush()
        db.session.rollback()


def test_user_content_is_escaped(app, api, auth, client):
    seed(app)
    auth.login("policy_editor")
    draft_id, page = new_draft(client, "DE")
    token = csrf_token_from(page)
    hostile = '<script>alert("x")</script>'
    text = versions(app, "DE")[0].text.replace("name: Germany", f"name: '{hostile}'")
    client.post(f"/policies/DE/drafts/{draft_id}", data={"csrf_token": token, "text": text})
    html = client.get(f"/policies/DE/drafts/{draft_id}").get_data(as_text=True)
    assert hostile not in html and "&lt;script&gt;alert(" in html
    client.post(f"/policies/DE/drafts/{draft_id}/publish", data={"csrf_token": token, "note": hostile})
    for url in ("/policies/", "/policies/DE", "/policies/DE/versions/2", "/policies/DE/diff?from=v1&to=v2"):
        body = client.get(url).get_data(as_text=True)
        assert hostile not in body, url
    item_id = stored_item(app, "DE", kind="image", matches=[])
    from tests.support.policies import add_match

    add_match(app, item_id, "terrorism", name='<img src=x onerror="alert(1)">')
    body = client.get(f"/policies/test?item_id={item_id}").get_data(as_text=True)
    assert "<img src=x onerror" not in body and "&lt;img src=x onerror=" in body


def test_test_on_one_item_explains_every_rule(app, api, auth, client, run_worker):
    from tests.support.factories import text_item

    seed(app)
    item = text_item("explain-me", country="FR", visible_in=["DE"])
    item_id = api.post_json("/items", item).get_json()["id"]
    add_signals(app, item_id, {"identity_attack": 0.92})
    report(api, item_id, "user", "illegal_hate_speech", external_id="explain-report")
    run_worker()
    auth.login("policy_editor")
    html = client.get(f"/policies/test?item_id={item_id}").get_data(as_text=True)
    assert '<li class="pass"><span class="mark">✔</span> signal identity_attack &gt;= 0.8: score is 0.92' in html
    assert "reports (category [illegal_hate_speech]) count &gt;= 1: 1 of 1 report(s) fit" in html
    assert (
        '<li class="fail"><span class="mark">✘</span> hash match (bank kind [terrorism]): the item matched no bank'
        in html
    )
    with app.app_context():
        from workbench.services.policy.runtime import published_policies

        packs = published_policies(db.session).policy_set
        total = sum(len(packs.packs[j].rules) for j in ("GLOBAL", "EU", "DE"))
    assert html.count('<details class="rule') == total
    assert "Case in <strong>de_notices</strong>" in html
    assert "<dt>Visible in</dt><dd>DE</dd>" in html
    applied = html[html.index('<section class="card" id="applied-jurisdictions">') :]
    assert '<span class="badge">DE</span> visible in DE</li>' in applied[: applied.index("</section>")]
    assert '<span class="badge">GLOBAL</span> the platform&#39;s terms apply everywhere' in applied

    assert client.get("/policies/test?item_id=999999").status_code == 404
    assert "An item id is a number" in client.get("/policies/test?item_id=abc").get_data(as_text=True)

    draft_id, page = new_draft(client, "DE")
    lax = versions(app, "DE")[0].text.replace('signal: "identity_attack >= 0.8"', 'signal: "identity_attack >= 0.95"')
    client.post(f"/policies/DE/drafts/{draft_id}", data={"csrf_token": csrf_token_from(page), "text": lax})
    with_draft = client.get(f"/policies/test?item_id={item_id}&draft={draft_id}").get_data(as_text=True)
    assert "DE draft" in with_draft
    assert '<li class="fail"><span class="mark">✘</span> signal identity_attack &gt;= 0.95: score is 0.92' in with_draft


def test_shadow_rule_hit_rates_come_from_stored_evaluations(app, api, auth, client, run_worker):
    from tests.support.factories import text_item

    seed(app)
    ids = [api.post_json("/items", text_item(f"hr-{i}", country="FR")).get_json()["id"] for i in range(4)]
    add_signals(app, ids[0], {"toxicity": 0.99})
    add_signals(app, ids[1], {"toxicity": 0.96})
    run_worker()
    report(api, ids[0], "user", "harassment", external_id="hr-report")  # evaluated again: still counts once
    run_worker()
    auth.login("auditor")
    html = client.get("/policies/hit-rates").get_data(as_text=True)
    row = re.search(r"global\.toxicity\.demote-trial.*?</tr>", html, re.S).group(0)
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert cells[-3:] == ["2", "4", "50.00 %"]
    assert "global.threat" not in html  # enforced rules are on the other tab
    assert "global.threat" in client.get("/policies/hit-rates?mode=enforce").get_data(as_text=True)


def test_a_new_pack_starts_as_a_draft_and_applies_once_published(app, auth, client):
    seed(app)
    auth.login("policy_editor")
    token = csrf_token_from(client.get("/policies/").get_data(as_text=True))
    bad = client.post("/policies/packs", data={"csrf_token": token, "jurisdiction": "UK"})
    assert bad.status_code == 422 and "the United Kingdom is GB" in bad.get_data(as_text=True)
    response = client.post("/policies/packs", data={"csrf_token": token, "jurisdiction": "fr"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/policies/FR")
    [draft] = rows(app, PolicyDraft)
    assert draft.valid and versions(app, "FR") == []

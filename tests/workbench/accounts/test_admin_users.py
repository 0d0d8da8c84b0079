"""/admin/users: permissions, CSRF, escaping, and every admin action audited."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests.support.accounts import PASSWORD, actions, audit_events, code_text, log_in, post_form, text_of
from tests.support.factories import make_user
from workbench.extensions import db
from workbench.models import User


@pytest.fixture
def admin(app):
    admin_id = make_user(app, "boss", "admin")
    client = app.test_client()
    assert log_in(client, "boss").status_code == 302
    client.user_id = admin_id
    return client


def user_row(app, username: str) -> User | None:
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        if user is not None:
            db.session.expunge(user)
        return user


@pytest.mark.parametrize("role", ["moderator", "senior_moderator", "policy_editor", "auditor"])
def test_only_admins_manage_users(app, role):
    target = make_user(app, "target", "moderator")
    client = app.test_client()
    make_user(app, "someone", role)
    log_in(client, "someone")
    token = re.search(r'name="csrf_token" value="([^"]+)"', text_of(client.get("/account/"))).group(1)
    for path in ("/admin/users/", "/admin/users/new", f"/admin/users/{target}"):
        assert client.get(path).status_code == 403, path
    for path in (
        f"/admin/users/{target}/reset-password",
        f"/admin/users/{target}/reset-two-factor",
        f"/admin/users/{target}/revoke-sessions",
        f"/admin/users/{target}/unlock",
        "/admin/users/new",
    ):
        assert client.post(path, data={"csrf_token": token}).status_code == 403, path
    assert actions(app, "user.") == ["user.created", "user.created"]


def test_anonymous_visitors_are_sent_to_login(client):
    response = client.get("/admin/users/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_create_shows_the_password_once_and_audits(app, admin):
    response = post_form(
        admin,
        "/admin/users/new",
        {"username": "maria", "role": "moderator", "jurisdictions": "eu, GB", "languages": "de, EN"},
    )
    assert response.status_code == 201
    assert response.headers["Cache-Control"] == "no-store"
    password = code_text(text_of(response), "one-time-password")
    user = user_row(app, "maria")
    assert user.jurisdictions == ["EU", "GB"] and user.languages == ["de", "en"] and user.must_change_password
    created = audit_events(app, "user.created")[-1]
    assert created.actor_id == str(admin.user_id) and created.object_id == str(user.id)
    assert json.loads(created.payload) == {
        "role": "moderator",
        "jurisdictions": ["EU", "GB"],
        "languages": ["de", "en"],
    }
    assert password not in created.payload and "maria" not in created.payload
    assert password not in text_of(admin.get(f"/admin/users/{user.id}"))
    # The new user logs in with it and must choose their own password first.
    maria = app.test_client()
    assert log_in(maria, "maria", password).status_code == 302
    assert maria.get("/").headers["Location"].endswith("/account/password")
    post_form(
        maria,
        "/account/password",
        {"current": password, "new": "maria's own passphrase", "confirm": "maria's own passphrase"},
    )
    assert maria.get("/").status_code == 200


def test_create_without_csrf_token_is_refused(app, admin):
    response = admin.post("/admin/users/new", data={"username": "eve", "role": "admin"})
    assert response.status_code == 400
    assert user_row(app, "eve") is None


def test_hostile_input_is_shown_escaped(app, admin):
    payload = "<script>alert(1)</script>"
    response = post_form(
        admin,
        "/admin/users/new",
        {"username": "mallory", "role": "moderator", "jurisdictions": payload, "languages": "de"},
    )
    html = text_of(response)
    assert response.status_code == 400
    assert "<script>alert(1)" not in html
    assert "&#39;&lt;script&gt;alert(1)&lt;/script&gt;&#39; is not a country code" in html
    response = post_form(
        admin,
        "/admin/users/new",
        {"username": '"><img src=x>', "role": "moderator", "jurisdictions": "DE", "languages": "de"},
    )
    assert (
        response.status_code == 400 and "letters, digits" in text_of(response) and "<img src=x" not in text_of(response)
    )
    assert actions(app, "user.created") == ["user.created"]  # only the admin's own account


def test_edit_role_scope_and_active_each_audited(app, admin):
    target = make_user(app, "ana", "moderator", jurisdictions=["DE"], languages=["de"])
    ana = app.test_client()
    log_in(ana, "ana")
    page = text_of(admin.get(f"/admin/users/{target}"))
    assert 'value="DE"' in page and 'value="de"' in page
    response = post_form(
        admin, f"/admin/users/{target}", {"role": "senior_moderator", "jurisdictions": "EU", "languages": "*"}
    )  # "active" unchecked
    assert response.status_code == 302
    user = user_row(app, "ana")
    assert (user.role, user.jurisdictions, user.languages, user.active) == ("senior_moderator", ["EU"], ["*"], False)
    assert actions(app, "user.")[-3:] == ["user.scope_changed", "user.role_changed", "user.deactivated"]
    scope = audit_events(app, "user.scope_changed")[0]
    assert json.loads(scope.payload) == {
        "from_scope": {"jurisdictions": ["DE"], "languages": ["de"]},
        "to_scope": {"jurisdictions": ["EU"], "languages": ["*"]},
    }
    assert ana.get("/").status_code == 302  # deactivated: the open session ended
    assert log_in(app.test_client(), "ana").status_code == 401


def test_a_bad_scope_changes_nothing(app, admin):
    target = make_user(app, "ana", "moderator", jurisdictions=["DE"], languages=["de"])
    response = post_form(
        admin, f"/admin/users/{target}", {"role": "admin", "jurisdictions": "DE", "languages": "german", "active": "y"}
    )
    assert response.status_code == 400 and "is not an ISO 639-1 language code" in text_of(response)
    assert user_row(app, "ana").role == "moderator"
    assert actions(app, "user.role_changed") == []


def test_the_last_admin_cannot_demote_or_deactivate_themselves(app, admin):
    response = post_form(
        admin,
        f"/admin/users/{admin.user_id}",
        {"role": "moderator", "jurisdictions": "", "languages": "", "active": "y"},
    )
    assert response.status_code == 400 and "last active admin" in text_of(response)
    assert user_row(app, "boss").role == "admin"


def test_reset_password_ends_sessions_and_forces_a_new_password(app, admin):
    target = make_user(app, "ana", "moderator")
    ana = app.test_client()
    log_in(ana, "ana")
    response = post_form(admin, f"/admin/users/{target}/reset-password", token_from=f"/admin/users/{target}")
    new_password = code_text(text_of(response), "one-time-password")
    assert ana.get("/").status_code == 302
    assert log_in(app.test_client(), "ana", PASSWORD).status_code == 401
    fresh = app.test_client()
    log_in(fresh, "ana", new_password)
    assert fresh.get("/account/").headers["Location"].endswith("/account/password")
    assert actions(app, "user.password_reset") == ["user.password_reset"]


def test_revoke_sessions_and_unlock(app, admin):
    target = make_user(app, "ana", "moderator")
    ana = app.test_client()
    log_in(ana, "ana")
    post_form(admin, f"/admin/users/{target}/revoke-sessions", token_from=f"/admin/users/{target}")
    assert ana.get("/").status_code == 302
    for _ in range(5):
        log_in(ana, "ana", "wrong password!")
    assert log_in(ana, "ana").status_code == 429
    response = post_form(admin, f"/admin/users/{target}/unlock", token_from=f"/admin/users/{target}")
    assert response.status_code == 302
    assert log_in(ana, "ana").status_code == 302
    assert actions(app, "user.")[-2:] == ["user.sessions_revoked", "user.lockout_cleared"]


def test_list_shows_every_account(app, admin):
    make_user(app, "ana", "moderator", jurisdictions=["EU"], languages=["de", "fr"])
    html = text_of(admin.get("/admin/users/"))
    assert "ana" in html and "EU" in html and "de, fr" in html and "boss" in html

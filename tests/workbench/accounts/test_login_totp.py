"""TOTP enrolment through the pages (with the password), login with a code, replay, backoff, admin reset."""

from __future__ import annotations

import json
import time

from sqlalchemy import select

from tests.support.accounts import PASSWORD, actions, audit_events, code_text, log_in, post_form, text_of
from tests.support.factories import TEST_ACTOR, make_user
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import User
from workbench.services.accounts import second_factor, totp

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def code_at(offset_s: float = 0, secret: str = SECRET) -> str:
    return totp.totp(totp.decode_secret(secret), time.time() + offset_s)


def enable_totp(app, username: str, step: int | None = None) -> None:
    """Enrol with the code of `step` (default: now); later logins need a later step."""
    step = totp.time_step(time.time()) if step is None else step
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        second_factor.enable(
            db.session,
            user,
            SECRET,
            totp.hotp(totp.decode_secret(SECRET), step),
            TEST_ACTOR,
            password=PASSWORD,
            now=step * totp.STEP_S + 1,
            key_file=workbench_settings.current().totp_key_file,
        )


def test_enrolment_shows_the_secret_and_uri_then_needs_a_code(app, client):
    make_user(app, "ana", "moderator")
    log_in(client, "ana")
    other = app.test_client()
    log_in(other, "ana")
    page = text_of(client.get("/account/two-factor"))
    secret = code_text(page, "totp-secret").replace(" ", "")
    uri = code_text(page, "totp-uri").replace("&amp;", "&")
    assert uri.startswith("otpauth://totp/Moderation%20workbench%3Aana?") and f"secret={secret}" in uri
    assert text_of(client.get("/account/two-factor")).count(totp.grouped(secret)) == 1  # same secret on reload

    wrong = post_form(
        client,
        "/account/two-factor",
        {"password": PASSWORD, "code": "000000" if code_at(0, secret) != "000000" else "111111"},
    )
    assert wrong.status_code == 400 and "does not match" in text_of(wrong)
    done = post_form(client, "/account/two-factor", {"password": PASSWORD, "code": code_at(0, secret)})
    assert done.status_code == 302
    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == "ana"))
        assert (
            user.totp_enabled
            and second_factor.stored_secret(user, workbench_settings.current().totp_key_file) == secret
        )
    assert client.get("/").status_code == 200 and other.get("/").status_code == 302
    assert actions(app, "user.totp") == ["user.totp_enabled"]
    assert secret not in "".join(event.payload for event in audit_events(app))


def test_login_needs_the_code_after_the_password(app, client):
    make_user(app, "ana", "moderator")
    enable_totp(app, "ana")
    step_one = log_in(client, "ana")
    assert step_one.status_code == 302 and step_one.headers["Location"].endswith("/login/code")
    assert client.get("/").status_code == 302  # not logged in between the two steps
    wrong = post_form(client, "/login/code", {"code": "12345x"})
    assert wrong.status_code == 401 and "not valid" in text_of(wrong)
    good = post_form(client, "/login/code", {"code": code_at(30)})  # the enrolment used this step's code
    assert good.status_code == 302 and good.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    succeeded = audit_events(app, "login.succeeded")[-1]
    assert json.loads(succeeded.payload) == {"second_factor": "totp"}
    assert actions(app, "login.totp") == ["login.totp_failed"]


def test_a_code_is_accepted_only_once(app):
    make_user(app, "ana", "moderator")
    enable_totp(app, "ana")
    code = code_at(30)
    first, second = app.test_client(), app.test_client()
    log_in(first, "ana")
    log_in(second, "ana")
    assert post_form(first, "/login/code", {"code": code}).status_code == 302
    assert post_form(second, "/login/code", {"code": code}).status_code == 401


def test_wrong_codes_count_towards_the_lockout(app, client):
    make_user(app, "ana", "moderator")
    enable_totp(app, "ana")
    log_in(client, "ana")
    for _ in range(5):
        assert post_form(client, "/login/code", {"code": "99999x"}).status_code == 401
    locked = post_form(client, "/login/code", {"code": code_at(30)})
    assert locked.status_code == 429 and "Too many failed attempts. Try again in 15 seconds." in text_of(locked)
    assert actions(app, "login.backoff_started") == ["login.backoff_started"]


def test_the_code_step_expires_when_the_account_changes(app, client):
    make_user(app, "ana", "moderator")
    make_user(app, "boss", "admin")
    enable_totp(app, "ana")
    log_in(client, "ana")
    admin = app.test_client()
    log_in(admin, "boss")
    with app.app_context():
        ana_id = db.session.scalar(select(User.id).where(User.username == "ana"))
    post_form(admin, f"/admin/users/{ana_id}/reset-two-factor", token_from=f"/admin/users/{ana_id}")
    response = post_form(client, "/login/code", {"code": code_at(30)})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    # Recovery: after the admin's reset the password alone logs in again.
    assert log_in(app.test_client(), "ana").headers["Location"] == "/"
    assert actions(app, "user.totp") == ["user.totp_enabled", "user.totp_reset"]


def test_user_turns_totp_off_with_a_code(app, client):
    make_user(app, "ana", "moderator")
    step = totp.time_step(time.time())
    enable_totp(app, "ana", step - 1)  # enrolled with the previous step's code...
    log_in(client, "ana")
    code = totp.hotp(totp.decode_secret(SECRET), step)
    assert post_form(client, "/login/code", {"code": code}).status_code == 302  # ...logged in with this one
    assert "Two-factor authentication is on" in text_of(client.get("/account/two-factor"))
    assert post_form(client, "/account/two-factor", {"password": PASSWORD, "code": "000000x"}).status_code == 400
    assert post_form(client, "/account/two-factor", {"password": PASSWORD, "code": code}).status_code == 400  # replay
    fresh = totp.hotp(totp.decode_secret(SECRET), step + 1)
    assert post_form(client, "/account/two-factor", {"password": PASSWORD, "code": fresh}).status_code == 302
    assert client.get("/").status_code == 200
    assert actions(app, "user.totp_disabled") == ["user.totp_disabled"]
    assert log_in(app.test_client(), "ana", PASSWORD).headers["Location"] == "/"


def _enrolment_page(client) -> str:
    return code_text(text_of(client.get("/account/two-factor")), "totp-secret").replace(" ", "")


def test_a_session_cookie_alone_cannot_turn_totp_on(app, client):
    """The attack: with a stolen session, enrol one's own phone as the victim's second factor."""
    make_user(app, "ana", "moderator")
    log_in(client, "ana")
    secret = _enrolment_page(client)
    for password in (None, "", "not her password"):
        data = {"code": code_at(0, secret)} | ({} if password is None else {"password": password})
        refused = post_form(client, "/account/two-factor", data)
        assert refused.status_code == 400
        assert ("The current password is wrong." in text_of(refused)) == bool(password)
    with app.app_context():
        assert not db.session.scalar(select(User).where(User.username == "ana")).totp_enabled
    assert actions(app, "user.") == ["user.created", "user.reauth_failed"]
    assert json.loads(audit_events(app, "user.reauth_failed")[0].payload) == {"purpose": "totp_enable"}
    done = post_form(client, "/account/two-factor", {"password": PASSWORD, "code": code_at(0, secret)})
    assert done.status_code == 302


def test_turning_totp_off_needs_the_password_too(app, client):
    make_user(app, "ana", "moderator")
    step = totp.time_step(time.time())
    enable_totp(app, "ana", step - 1)
    log_in(client, "ana")
    assert post_form(client, "/login/code", {"code": totp.hotp(totp.decode_secret(SECRET), step)}).status_code == 302
    fresh = totp.hotp(totp.decode_secret(SECRET), step + 1)
    refused = post_form(client, "/account/two-factor", {"password": "not her password", "code": fresh})
    assert refused.status_code == 400 and "The current password is wrong." in text_of(refused)
    assert "Two-factor authentication is on" in text_of(client.get("/account/two-factor"))
    assert post_form(client, "/account/two-factor", {"code": fresh}).status_code == 400  # no password at all
    assert post_form(client, "/account/two-factor", {"password": PASSWORD, "code": fresh}).status_code == 302
    assert actions(app, "user.totp") == ["user.totp_enabled", "user.totp_disabled"]


def test_wrong_passwords_in_the_form_count_in_the_login_backoff(app, client):
    """The form is no unthrottled password oracle for whoever holds the cookie."""
    make_user(app, "ana", "moderator")
    log_in(client, "ana")
    secret = _enrolment_page(client)
    for _ in range(5):
        guess = post_form(client, "/account/two-factor", {"password": "guess", "code": code_at(0, secret)})
        assert guess.status_code == 400
    refused = post_form(client, "/account/two-factor", {"password": PASSWORD, "code": code_at(0, secret)})
    assert refused.status_code == 429 and "Too many failed attempts. Try again in 15 seconds." in text_of(refused)
    assert log_in(app.test_client(), "ana").status_code == 429  # the same account backoff as the login
    assert actions(app, "user.reauth_failed") == ["user.reauth_failed"] * 5

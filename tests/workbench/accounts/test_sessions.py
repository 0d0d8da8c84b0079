"""Session cookies: revocation by token, the absolute lifetime, cookie flags, logout audit."""

from __future__ import annotations

from tests.support.accounts import actions, log_in, post_form
from tests.support.factories import make_user
from workbench import settings as workbench_settings


def test_log_out_everywhere_ends_every_session(app, client):
    make_user(app, "ana", "moderator")
    other = app.test_client()
    log_in(client, "ana")
    log_in(other, "ana")
    response = post_form(client, "/account/sessions/revoke", token_from="/account/")
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert client.get("/").status_code == 302 and other.get("/").status_code == 302
    assert actions(app, "user.sessions_revoked") == ["user.sessions_revoked"]
    assert log_in(client, "ana").status_code == 302 and client.get("/").status_code == 200


def test_a_session_ends_after_its_absolute_lifetime(app, client):
    make_user(app, "ana", "moderator")
    log_in(client, "ana")
    assert client.get("/").status_code == 200
    with client.session_transaction() as session:
        session["login_at"] -= int(workbench_settings.of(app).session_max_hours * 3600) + 1
    assert client.get("/").status_code == 302


def test_a_session_moved_to_another_browser_ends(app, client):
    make_user(app, "ana", "moderator")
    log_in(client, "ana", headers={"User-Agent": "Firefox/140"})
    assert client.get("/", headers={"User-Agent": "Firefox/140"}).status_code == 200
    assert client.get("/", headers={"User-Agent": "curl/8"}).status_code == 302


def test_a_cookie_with_a_bare_user_id_is_not_accepted(app, client):
    user_id = make_user(app, "ana", "moderator")
    log_in(client, "ana")
    with client.session_transaction() as session:
        session["_user_id"] = str(user_id)  # the format before session tokens
    assert client.get("/").status_code == 302


def test_the_session_cookie_is_permanent_httponly_and_lax(app, client):
    make_user(app, "ana", "moderator")
    response = log_in(client, "ana")
    cookie = [value for value in response.headers.getlist("Set-Cookie") if value.startswith("session=")][-1]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Expires=" in cookie


def test_logout_is_audited_and_clears_the_session(app, client):
    make_user(app, "ana", "moderator")
    log_in(client, "ana")
    response = post_form(client, "/logout", token_from="/account/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302
    assert actions(app, "logout") == ["logout"]


def test_a_copied_session_cookie_stops_working_after_logout(app, client):
    """Someone copied the cookie (shared computer, a proxy's log); the owner logs out."""
    make_user(app, "ana", "moderator")
    log_in(client, "ana")
    copied = client.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/").status_code == 200  # the copy works while the session lives
    assert post_form(client, "/logout", token_from="/account/").status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", copied)
    assert replay.get("/").status_code == 302 and replay.get("/account/").status_code == 302
    assert thief.get("/").status_code == 302
    assert log_in(client, "ana").status_code == 302 and client.get("/").status_code == 200  # logging in again works

"""Login throttling with the real embedded Redis, its database fallback, and proxies."""
from __future__ import annotations

import json

from tests.support.accounts import PASSWORD, actions, audit_events, log_in, text_of
from tests.support.factories import make_user


def _fail(client, username, times, **kwargs):
    for _ in range(times):
        assert log_in(client, username, "wrong password!", **kwargs).status_code == 401


def test_five_failures_lock_the_account_even_for_the_right_password(app, client):
    make_user(app, "ana", "moderator")
    _fail(client, "ana", 5)
    locked = log_in(client, "ana", PASSWORD)
    assert locked.status_code == 429
    assert "Too many failed attempts. Try again in 15 minutes." in text_of(locked)
    assert 890 <= int(locked.headers["Retry-After"]) <= 900
    assert client.get("/").status_code == 302  # not logged in
    # From another address too: the lock is on the account.
    other = app.test_client()
    assert log_in(other, "ana", PASSWORD, environ_base={"REMOTE_ADDR": "10.9.9.9"}).status_code == 429
    assert actions(app, "login.") == ["login.failed"] * 5 + ["login.locked_out"]
    lockout = audit_events(app, "login.locked_out")[0]
    assert lockout.object_type == "user" and json.loads(lockout.payload) == {
        "scope": "account", "max_failures": 5, "window_s": 900}
    # Another account is not affected.
    make_user(app, "ben", "moderator")
    assert log_in(app.test_client(), "ben", PASSWORD).status_code == 302


def test_a_successful_login_clears_the_account_window(app, client):
    make_user(app, "ana", "moderator")
    _fail(client, "ana", 4)
    assert log_in(app.test_client(), "ana", PASSWORD).status_code == 302
    _fail(client, "ana", 4)
    assert log_in(app.test_client(), "ana", PASSWORD).status_code == 302


def test_failures_from_one_address_across_usernames_lock_that_address(app, client):
    app.config["WORKBENCH_LOGIN_MAX_FAILURES_PER_CLIENT"] = 3
    make_user(app, "ana", "moderator")
    for name in ("x1", "x2", "x3"):
        _fail(client, name, 1)
    assert log_in(client, "ana", PASSWORD).status_code == 429
    assert log_in(app.test_client(), "ana", PASSWORD, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 302
    lockout = audit_events(app, "login.locked_out")[0]
    assert lockout.object_type == "client" and len(lockout.object_id) == 16
    assert "127.0.0.1" not in lockout.payload + lockout.object_id  # no raw address in the log


def test_forwarded_for_is_ignored_without_a_trusted_proxy(app, client):
    app.config["WORKBENCH_LOGIN_MAX_FAILURES_PER_CLIENT"] = 2
    for n in range(2):  # an attacker rotating X-Forwarded-For gains nothing
        _fail(client, f"x{n}", 1, headers={"X-Forwarded-For": f"203.0.113.{n}"})
    make_user(app, "ana", "moderator")
    assert log_in(client, "ana", PASSWORD, headers={"X-Forwarded-For": "203.0.113.99"}).status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_counts(app, client):
    app.config["WORKBENCH_LOGIN_MAX_FAILURES_PER_CLIENT"] = 2
    app.config["WORKBENCH_TRUSTED_PROXY_HOPS"] = 1
    make_user(app, "ana", "moderator")
    for n in range(2):  # the client-written part (left) of the header does not matter
        _fail(client, f"x{n}", 1, headers={"X-Forwarded-For": f"1.1.1.{n}, 198.51.100.7"})
    assert log_in(client, "ana", PASSWORD, headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 429
    assert log_in(client, "ana", PASSWORD, headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 302


def test_with_redis_down_the_account_window_counts_audited_failures(app, client):
    from redis import Redis
    make_user(app, "ana", "moderator")
    make_user(app, "ben", "moderator")
    app.extensions["workbench_redis"] = Redis.from_url("unix:///nonexistent/redis.sock", socket_connect_timeout=0.2)
    _fail(client, "ana", 5)
    locked = log_in(client, "ana", PASSWORD)
    assert locked.status_code == 429 and "Too many failed attempts" in text_of(locked)
    assert actions(app, "login.locked_out") == ["login.locked_out"]
    assert log_in(app.test_client(), "ben", PASSWORD).status_code == 302  # others keep working


def test_the_lock_lifts_when_the_window_slides_past(app, redis_server):
    """The service with an explicit clock: the window slides, it is not a fixed bucket."""
    from workbench.extensions import db, get_redis
    from workbench.services.login_throttle import LoginThrottle, ThrottleSettings
    now = [1_000_000.0]
    settings = ThrottleSettings(max_per_account=3, max_per_client=100, window_s=600, key_secret=b"k")
    with app.app_context():
        throttle = LoginThrottle(get_redis(), settings, clock=lambda: now[0])
        for offset in (0, 100, 200):
            now[0] = 1_000_000.0 + offset
            started = throttle.record_failure(db.session, "ana", "10.0.0.1", None)
        assert [lock.scope for lock in started] == ["account"]
        now[0] = 1_000_000.0 + 599
        assert throttle.check(db.session, "ana", "10.0.0.1", None).retry_after_s == 1
        now[0] = 1_000_000.0 + 601  # the first failure left the window: 2 of 3 remain
        assert throttle.check(db.session, "ana", "10.0.0.1", None) is None
        assert throttle.check(db.session, "ANA ", "10.0.0.2", None) is None
        now[0] = 1_000_000.0 + 650
        throttle.record_failure(db.session, "Ana", "10.0.0.3", None)  # same account, any spelling
        # Failures at 100, 200 and 650: locked until the one at 100 leaves the window, at 700.
        assert throttle.check(db.session, "ana", "10.0.0.1", None).retry_after_s == 50
        keys = get_redis().keys("wb:login-failures:*")
        assert keys and not any(b"ana" in key.lower() or b"10.0.0" in key for key in keys)

"""Login throttling with the real embedded Redis: per-account backoff, per-address windows,
the database fallback, and proxies. Time moves by a clock the test holds, never by sleeping."""

from __future__ import annotations

import json
import logging
import time

import pytest

from tests.support.accounts import PASSWORD, actions, audit_events, log_in, post_form, text_of
from tests.support.factories import make_user
from tests.workbench.accounts.test_login_totp import code_at, enable_totp
from workbench import settings as workbench_settings
from workbench.services.accounts import login_throttle


@pytest.fixture
def clock(monkeypatch):
    """The throttle's clock, starting now; `clock.advance(s)` is the user waiting s seconds."""

    class Clock:
        value = float(int(time.time()))  # whole seconds: waits come out exact

        def advance(self, seconds: float) -> None:
            self.value += seconds

    held = Clock()
    monkeypatch.setattr(login_throttle, "now", lambda: held.value)
    return held


def _fail(client, username, times, **kwargs):
    for _ in range(times):
        assert log_in(client, username, "wrong password!", **kwargs).status_code == 401


def test_five_wrong_passwords_only_delay_the_owner_briefly(app, client, clock):
    """The attack of the old lockout: five wrong passwords for a known name. Now the owner waits
    15 seconds, not 15 minutes, and the right password after the wait logs in."""
    make_user(app, "ana", "moderator")
    _fail(client, "ana", 5)
    ana = app.test_client()
    ana.environ_base["REMOTE_ADDR"] = "10.9.9.9"  # the owner, elsewhere: the wait is the account's
    refused = log_in(ana, "ana", PASSWORD)
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "15"
    assert "Too many failed attempts. Try again in 15 seconds." in text_of(refused)
    assert ana.get("/").status_code == 302  # not logged in
    clock.advance(15)
    assert log_in(ana, "ana", PASSWORD).status_code == 302
    assert ana.get("/").status_code == 200
    assert actions(app, "login.") == ["login.failed"] * 5 + ["login.backoff_started", "login.succeeded"]
    started = audit_events(app, "login.backoff_started")[0]
    assert started.object_type == "user" and json.loads(started.payload) == {
        "failures": 5,
        "first_wait_s": 15,
        "max_wait_s": 900,
    }


def test_during_the_wait_no_password_is_checked_and_nothing_is_counted(app, client, clock):
    make_user(app, "ana", "moderator")
    _fail(client, "ana", 5)
    for _ in range(10):  # a flood during the wait: refused before the password, and not counted
        assert log_in(client, "ana", "wrong password!").status_code == 429
        assert log_in(client, "ana", PASSWORD).status_code == 429
    assert actions(app, "login.failed") == ["login.failed"] * 5
    clock.advance(15)
    _fail(client, "ana", 1)  # the sixth failure: the next wait doubles, no more
    clock.advance(29)
    assert "Try again in 1 second." in text_of(log_in(client, "ana", PASSWORD))
    clock.advance(1)
    assert log_in(client, "ana", PASSWORD).status_code == 302


def throttle_settings(**by_name) -> login_throttle.ThrottleSettings:
    """The declared defaults with some settings changed (by variable name, validated)."""
    values = {"SECRET_KEY": "k", **by_name}
    return login_throttle.ThrottleSettings.from_settings(workbench_settings.defaults().with_values(values))


def test_each_further_failure_doubles_the_wait_up_to_the_cap(app):
    from workbench.extensions import db, get_redis

    now = [1_000_000.0]
    settings = throttle_settings(
        WORKBENCH_LOGIN_MAX_FAILURES=3,
        WORKBENCH_LOGIN_BACKOFF_BASE_S=15,
        WORKBENCH_LOGIN_BACKOFF_MAX_S=900,
        WORKBENCH_LOGIN_MAX_FAILURES_PER_CLIENT=1000,
        WORKBENCH_LOGIN_WINDOW_S=900,
    )
    waits = []
    with app.app_context():
        throttle = login_throttle.LoginThrottle(get_redis(), settings, clock=lambda: now[0])
        for _ in range(11):
            admission = throttle.admit(db.session, "ana", None, None)
            waits.append(admission.lock.retry_after_s if admission.lock else 0)
            if admission.lock:
                now[0] += admission.lock.retry_after_s - 1
                assert throttle.admit(db.session, "ana", None, None).lock.retry_after_s == 1
                now[0] += 1
                admission = throttle.admit(db.session, "ana", None, None)
            assert admission.lock is None
            throttle.record_failure(db.session, "ana", None, None, admission)
    assert waits == [0, 0, 0, 15, 30, 60, 120, 240, 480, 900, 900]


def test_parallel_attempts_cannot_share_one_slot(app):
    """Admission counts the attempt up front, in one script: of two attempts at the same moment
    after the wait, one is let through and the other refused."""
    from workbench.extensions import db, get_redis

    now = [5_000.0]
    settings = throttle_settings(
        WORKBENCH_LOGIN_MAX_FAILURES=2, WORKBENCH_LOGIN_BACKOFF_BASE_S=60, WORKBENCH_LOGIN_BACKOFF_MAX_S=600
    )
    with app.app_context():
        throttle = login_throttle.LoginThrottle(get_redis(), settings, clock=lambda: now[0])
        for _ in range(2):
            throttle.record_failure(db.session, "ana", None, None, throttle.admit(db.session, "ana", None, None))
        now[0] += 60
        first, second = (throttle.admit(db.session, "ana", None, None) for _ in range(2))
        assert first.lock is None and second.lock is not None and second.lock.retry_after_s == 120
        keys = get_redis().keys("wb:login-*")
        assert keys and not any(b"ana" in key.lower() for key in keys)


def test_the_password_step_of_a_totp_login_is_not_counted_as_a_failure(app, client, clock):
    make_user(app, "ana", "moderator")
    enable_totp(app, "ana")
    _fail(client, "ana", 4)
    assert log_in(client, "ana").headers["Location"].endswith("/login/code")
    assert post_form(client, "/login/code", {"code": code_at(30)}).status_code == 302  # no wait in between


def test_a_successful_login_clears_the_account(app, client):
    make_user(app, "ana", "moderator")
    _fail(client, "ana", 4)
    assert log_in(app.test_client(), "ana", PASSWORD).status_code == 302
    _fail(client, "ana", 4)
    assert log_in(app.test_client(), "ana", PASSWORD).status_code == 302


def test_failures_from_one_address_across_usernames_lock_that_address(app, client):
    workbench_settings.update(app, WORKBENCH_LOGIN_MAX_FAILURES_PER_CLIENT=3)
    make_user(app, "ana", "moderator")
    for name in ("x1", "x2", "x3"):
        _fail(client, name, 1)
    locked = log_in(client, "ana", PASSWORD)
    assert locked.status_code == 429 and "Try again in 15 minutes." in text_of(locked)
    assert log_in(app.test_client(), "ana", PASSWORD, environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 302
    lockout = audit_events(app, "login.locked_out")[0]
    assert lockout.object_type == "client" and len(lockout.object_id) == 16
    assert "127.0.0.1" not in lockout.payload + lockout.object_id  # no raw address in the log


def test_the_address_window_slides(app):
    from workbench.extensions import db, get_redis

    now = [1_000_000.0]
    settings = throttle_settings(
        WORKBENCH_LOGIN_MAX_FAILURES=100, WORKBENCH_LOGIN_MAX_FAILURES_PER_CLIENT=3, WORKBENCH_LOGIN_WINDOW_S=600
    )
    with app.app_context():
        throttle = login_throttle.LoginThrottle(get_redis(), settings, clock=lambda: now[0])
        for offset, name in ((0, "a"), (100, "b"), (200, "c")):
            now[0] = 1_000_000.0 + offset
            started = throttle.record_failure(
                db.session, name, "10.0.0.1", None, throttle.admit(db.session, name, "10.0.0.1", None)
            )
        assert [lock.scope for lock in started] == ["client"]
        now[0] = 1_000_000.0 + 599
        assert throttle.admit(db.session, "d", "10.0.0.1", None).lock.retry_after_s == 1
        assert throttle.admit(db.session, "d", "10.0.0.2", None).lock is None
        now[0] = 1_000_000.0 + 601  # the first failure left the window
        assert throttle.admit(db.session, "e", "10.0.0.1", None).lock is None
        keys = get_redis().keys("wb:login-*")
        assert not any(b"10.0.0" in key for key in keys)


def test_forwarded_for_is_ignored_without_a_trusted_proxy(app, client):
    workbench_settings.update(app, WORKBENCH_LOGIN_MAX_FAILURES_PER_CLIENT=2)
    for n in range(2):  # an attacker rotating X-Forwarded-For gains nothing
        _fail(client, f"x{n}", 1, headers={"X-Forwarded-For": f"203.0.113.{n}"})
    make_user(app, "ana", "moderator")
    assert log_in(client, "ana", PASSWORD, headers={"X-Forwarded-For": "203.0.113.99"}).status_code == 429


def test_behind_a_trusted_proxy_the_forwarded_address_counts(app, client):
    workbench_settings.update(app, WORKBENCH_LOGIN_MAX_FAILURES_PER_CLIENT=2)
    workbench_settings.update(app, WORKBENCH_TRUSTED_PROXY_HOPS=1)
    make_user(app, "ana", "moderator")
    for n in range(2):  # the client-written part (left) of the header does not matter
        _fail(client, f"x{n}", 1, headers={"X-Forwarded-For": f"1.1.1.{n}, 198.51.100.7"})
    assert log_in(client, "ana", PASSWORD, headers={"X-Forwarded-For": "198.51.100.7"}).status_code == 429
    assert log_in(client, "ana", PASSWORD, headers={"X-Forwarded-For": "198.51.100.8"}).status_code == 302


def test_forwarded_for_with_no_trusted_proxy_logs_one_warning(app, client, caplog):
    caplog.set_level(logging.WARNING, logger="workbench.web.auth.client")
    client.get("/login")
    assert not caplog.records  # no header: nothing to say
    for _ in range(3):
        client.get("/login", headers={"X-Forwarded-For": "203.0.113.5"})
    warnings = [record for record in caplog.records if record.name == "workbench.web.auth.client"]
    assert len(warnings) == 1 and warnings[0].levelno == logging.WARNING
    assert "every client shares the proxy's address" in warnings[0].getMessage()
    assert "WORKBENCH_TRUSTED_PROXY_HOPS" in warnings[0].getMessage()


def test_no_warning_when_the_proxy_is_configured(app, client, caplog):
    workbench_settings.update(app, WORKBENCH_TRUSTED_PROXY_HOPS=1)
    caplog.set_level(logging.WARNING, logger="workbench.web.auth.client")
    client.get("/login", headers={"X-Forwarded-For": "203.0.113.5"})
    assert not [record for record in caplog.records if record.name == "workbench.web.auth.client"]


def test_with_redis_down_the_backoff_counts_audited_failures(app, client, clock):
    from redis import Redis

    make_user(app, "ana", "moderator")
    make_user(app, "ben", "moderator")
    app.extensions["workbench_redis"] = Redis.from_url("unix:///nonexistent/redis.sock", socket_connect_timeout=0.2)
    _fail(client, "ana", 5)
    refused = log_in(client, "ana", PASSWORD)
    assert refused.status_code == 429 and "Too many failed attempts. Try again in" in text_of(refused)
    assert actions(app, "login.backoff_started") == ["login.backoff_started"]
    assert log_in(app.test_client(), "ben", PASSWORD).status_code == 302  # others keep working
    clock.advance(60)  # the audit log's times are the real ones: well past the wait
    assert log_in(app.test_client(), "ana", PASSWORD).status_code == 302  # and the wait ends

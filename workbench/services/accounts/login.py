"""Checking credentials: throttled, with an optional TOTP step; every outcome is audited.

Outcomes: "ok" (logged in), "totp_required" (password right, a code is needed next),
"failed", "locked" (refused by the throttle: the password is not even checked; the result
says how long to wait), "expired" (the half-finished TOTP login no longer matches the
account), "unavailable" (the account's TOTP secret cannot be decrypted with this server's
key: the login fails closed and the log tells the admin why).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import lru_cache

from sqlalchemy.orm import Session
from werkzeug.security import check_password_hash, generate_password_hash

from workbench import audit
from workbench.audit import Actor
from workbench.models import User
from workbench.models.base import utcnow
from workbench.services.accounts import second_factor
from workbench.services.accounts.login_throttle import Admission, LoginThrottle, audit_started
from workbench.services.accounts.users import find_user

LOGIN_ACTOR = Actor.system("login")
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LoginResult:
    outcome: str
    user: User | None = None
    retry_after_s: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome == "ok"


@lru_cache(maxsize=4)
def _dummy_hash(method: str) -> str:
    return generate_password_hash("no such user", method=method)


def attempt_login(
    session: Session,
    username: str,
    password: str,
    *,
    hash_method: str,
    throttle: LoginThrottle | None = None,
    client: str | None = None,
) -> LoginResult:
    """`hash_method` (Settings.password_hash_method) hashes a dummy password for an unknown user."""
    user = find_user(session, username)
    admission = None
    if throttle is not None:
        admission = throttle.admit(session, username, client, user)
        if admission.lock is not None:
            session.rollback()
            return LoginResult("locked", retry_after_s=admission.lock.retry_after_s)
    if user is None:
        check_password_hash(_dummy_hash(hash_method), password)  # same work as for a real account: no timing oracle
        return _fail(session, throttle, admission, username, client, None, "login.failed", reason="unknown_user")
    if not user.check_password(password):
        return _fail(session, throttle, admission, username, client, user, "login.failed", reason="password")
    if not user.is_active:
        return _fail(session, throttle, admission, username, client, user, "login.failed", reason="inactive")
    if user.totp_enabled:
        session.rollback()  # nothing to write until the second factor is in
        if throttle is not None:
            throttle.forgive(username, admission)  # the code step is counted on its own
        return LoginResult("totp_required", user)
    return _succeed(session, throttle, user, second_factor=None)


def attempt_second_factor(
    session: Session,
    user_id: int,
    session_token: str,
    code: str,
    *,
    key_file: str,
    throttle: LoginThrottle | None = None,
    client: str | None = None,
    now: float | None = None,
) -> LoginResult:
    """`key_file` (Settings.totp_key_file) opens the user's stored TOTP secret."""
    user = session.get(User, user_id)
    if user is None or not user.is_active or not user.totp_enabled or user.session_token != session_token:
        session.rollback()
        return LoginResult("expired")
    admission = None
    if throttle is not None:
        admission = throttle.admit(session, user.username, client, user)
        if admission.lock is not None:
            session.rollback()
            return LoginResult("locked", retry_after_s=admission.lock.retry_after_s)
    try:
        accepted = second_factor.consume_code(session, user, code, now, key_file=key_file)
    except second_factor.SecondFactorUnavailable as exc:
        session.rollback()
        log.error(
            "Login of user %s refused: %s. Restore the key file WORKBENCH_TOTP_KEY_FILE names, or reset "
            "the user's second factor (`flask users check-two-factor` lists every affected account).",
            user.id,
            exc.detail,
        )
        if throttle is not None:
            throttle.forgive(user.username, admission)  # not the user's mistake
        return LoginResult("unavailable", user)
    if not accepted:
        return _fail(session, throttle, admission, user.username, client, user, "login.totp_failed", reason="code")
    return _succeed(session, throttle, user, second_factor="totp")


def log_out(session: Session, user: User, actor: Actor) -> None:
    """End the session for good: a copy of its cookie must not work afterwards, and the cookie
    holds the account's session token, so the token changes (every session of the account ends)."""
    user.rotate_session_token()
    audit.record(session, actor, "logout", "user", user.id)
    session.commit()


def _succeed(session: Session, throttle: LoginThrottle | None, user: User, second_factor: str | None) -> LoginResult:
    if not user.session_token:
        user.rotate_session_token()  # an account from before session tokens existed
    user.last_login_at = utcnow()
    audit.record(session, Actor.user(user.id), "login.succeeded", "user", user.id, second_factor=second_factor)
    session.commit()
    if throttle is not None:
        throttle.clear_account(user.username)
    return LoginResult("ok", user)


def _fail(
    session: Session,
    throttle: LoginThrottle | None,
    admission: Admission | None,
    username: str,
    client: str | None,
    user: User | None,
    action: str,
    **payload,
) -> LoginResult:
    # The username typed is not stored: it may be a password typed in the wrong box.
    user_ref = user.id if user else "unknown"
    audit.record(session, LOGIN_ACTOR, action, "user", user_ref, **payload)
    if throttle is not None:
        locks = throttle.record_failure(session, username, client, user, admission)
        audit_started(session, LOGIN_ACTOR, throttle, locks, user_ref, client)
    session.commit()
    return LoginResult("failed", user)

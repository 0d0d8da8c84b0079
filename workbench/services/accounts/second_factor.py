"""Turning TOTP on and off for an account, and accepting a code exactly once.

Enrolment: the page generates a secret (kept sealed in the signed session until confirmed) and
the user proves their app has it by typing a code; only then is it stored. Turning it on or
off needs the current password as well (services/accounts/reauth.py). Recovery from a lost phone is an
admin's reset. Enabling, disabling and resetting end every other session.

The column holds the secret encrypted (services/accounts/totp_secrets.py); a secret that does not
open with this server's key raises SecondFactorUnavailable: no code is accepted for it.
"""

from __future__ import annotations

import time

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import User
from workbench.models.base import utcnow
from workbench.services.accounts import totp, totp_secrets
from workbench.services.accounts.login_throttle import LoginThrottle
from workbench.services.accounts.reauth import ReauthFailed, confirm_password


class SecondFactorError(ValueError):
    field = "code"  # the form field the message belongs to


class WrongPassword(SecondFactorError):
    field = "password"

    def __init__(self, message: str, retry_after_s: int = 0):
        super().__init__(message)
        self.retry_after_s = retry_after_s


class SecondFactorUnavailable(SecondFactorError):
    """The stored secret cannot be decrypted (or the key file read): refuse, never guess."""

    def __init__(self, detail: str):
        super().__init__(
            "Two-factor codes cannot be checked at the moment: the server's TOTP key does not "
            "match. An admin must restore the key file or reset your second factor."
        )
        self.detail = detail


def stored_secret(user: User, key_file: str) -> str:
    """The user's TOTP secret, opened with the key in `key_file` (Settings.totp_key_file)."""
    try:
        key = totp_secrets.key_from_file(key_file)
        return totp_secrets.unseal(key, user.totp_secret, totp_secrets.user_context(user.id))
    except totp_secrets.TotpKeyError as exc:
        raise SecondFactorUnavailable(f"the TOTP secret of user {user.id} cannot be used: {exc}") from exc


def consume_code(session: Session, user: User, code: str | None, now: float | None = None, *, key_file: str) -> bool:
    """Accept a code for this user once: the step is stored with a conditional UPDATE, so two
    requests racing with the same code cannot both pass. The caller commits."""
    if not user.totp_enabled:
        return False
    step = totp.verify(
        stored_secret(user, key_file), code, time.time() if now is None else now, last_step=user.totp_last_step
    )
    if step is None:
        return False
    claimed = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if claimed.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def _confirm_password(
    session: Session,
    user: User,
    password: str | None,
    actor: Actor,
    purpose: str,
    throttle: LoginThrottle | None,
    client: str | None,
) -> None:
    try:
        confirm_password(session, user, password, actor, purpose=purpose, throttle=throttle, client=client)
    except ReauthFailed as exc:
        raise WrongPassword(str(exc), exc.retry_after_s) from exc


def enable(
    session: Session,
    user: User,
    secret: str,
    code: str | None,
    actor: Actor,
    *,
    password: str | None,
    throttle: LoginThrottle | None = None,
    client: str | None = None,
    now: float | None = None,
    key_file: str,
) -> None:
    if user.totp_enabled:
        raise SecondFactorError("Two-factor authentication is already on.")
    _confirm_password(session, user, password, actor, "totp_enable", throttle, client)
    step = totp.verify(secret, code, time.time() if now is None else now)
    if step is None:
        raise SecondFactorError("That code does not match. Check the phone's clock and try the next code.")
    try:
        key = totp_secrets.key_from_file(key_file)
        sealed = totp_secrets.seal(key, secret, totp_secrets.user_context(user.id))
    except totp_secrets.TotpKeyError as exc:
        raise SecondFactorUnavailable(str(exc)) from exc
    user.totp_secret = sealed
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    user.rotate_session_token()
    audit.record(session, actor, "user.totp_enabled", "user", user.id)
    session.commit()


def disable(
    session: Session,
    user: User,
    code: str | None,
    actor: Actor,
    *,
    password: str | None,
    throttle: LoginThrottle | None = None,
    client: str | None = None,
    now: float | None = None,
    key_file: str,
) -> None:
    """The user turns it off themselves, with their password and a code from the app."""
    _confirm_password(session, user, password, actor, "totp_disable", throttle, client)
    try:
        accepted = consume_code(session, user, code, now, key_file=key_file)
    except SecondFactorUnavailable:
        session.rollback()
        raise
    if not accepted:
        session.rollback()
        raise SecondFactorError("That code does not match.")
    _clear(user)
    audit.record(session, actor, "user.totp_disabled", "user", user.id)
    session.commit()


def reset(session: Session, user: User, actor: Actor) -> bool:
    """An admin's recovery for a lost device: the user logs in with the password alone again."""
    if not user.totp_secret:
        return False
    _clear(user)
    audit.record(session, actor, "user.totp_reset", "user", user.id)
    session.commit()
    return True


def _clear(user: User) -> None:
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    user.rotate_session_token()

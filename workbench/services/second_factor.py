"""Turning TOTP on and off for an account, and accepting a code exactly once.

Enrolment: the page generates a secret (kept in the signed session until confirmed) and the
user proves their app has it by typing a code; only then is it stored. Recovery from a lost
phone is an admin's reset. Enabling, disabling and resetting end every other session.
"""
from __future__ import annotations

import time

from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import User
from workbench.models.base import utcnow
from workbench.services import totp


class SecondFactorError(ValueError):
    pass


def consume_code(session: Session, user: User, code: str | None, now: float | None = None) -> bool:
    """Accept a code for this user once: the step is stored with a conditional UPDATE, so two
    requests racing with the same code cannot both pass. The caller commits."""
    if not user.totp_enabled:
        return False
    step = totp.verify(user.totp_secret, code, time.time() if now is None else now, last_step=user.totp_last_step)
    if step is None:
        return False
    claimed = session.execute(
        update(User).where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step).execution_options(synchronize_session=False))
    if claimed.rowcount != 1:
        return False
    user.totp_last_step = step
    return True


def enable(session: Session, user: User, secret: str, code: str | None, actor: Actor, now: float | None = None) -> None:
    if user.totp_enabled:
        raise SecondFactorError("Two-factor authentication is already on.")
    step = totp.verify(secret, code, time.time() if now is None else now)
    if step is None:
        raise SecondFactorError("That code does not match. Check the phone's clock and try the next code.")
    user.totp_secret = secret
    user.totp_enabled_at = utcnow()
    user.totp_last_step = step
    user.rotate_session_token()
    audit.record(session, actor, "user.totp_enabled", "user", user.id)
    session.commit()


def disable(session: Session, user: User, code: str | None, actor: Actor, now: float | None = None) -> None:
    """The user turns it off themselves, proving they still hold the secret."""
    if not consume_code(session, user, code, now):
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

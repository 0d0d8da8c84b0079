"""Asking a signed-in user for their password again before a change to how they log in.

A stolen session cookie must not be enough to turn the second factor on (with the thief's
phone) or off. The form must not become an unthrottled password oracle for whoever holds
the cookie either: a wrong password counts in the account's login backoff like a wrong
login, and is audited (`user.reauth_failed`, which the backoff's database fallback counts).
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import User
from workbench.services.accounts.login_throttle import LoginThrottle, audit_started, wait_message


class ReauthFailed(ValueError):
    def __init__(self, message: str, retry_after_s: int = 0):
        super().__init__(message)
        self.retry_after_s = retry_after_s


def confirm_password(
    session: Session,
    user: User,
    password: str | None,
    actor: Actor,
    *,
    purpose: str,
    throttle: LoginThrottle | None = None,
    client: str | None = None,
) -> None:
    """Return if `password` is the user's; otherwise audit, count and raise ReauthFailed."""
    admission = None
    if throttle is not None:
        admission = throttle.admit(session, user.username, client, user)
        if admission.lock is not None:
            session.rollback()
            raise ReauthFailed(wait_message(admission.lock.retry_after_s), admission.lock.retry_after_s)
    if not user.check_password(password or ""):
        audit.record(session, actor, "user.reauth_failed", "user", user.id, purpose=purpose)
        if throttle is not None:
            audit_started(
                session,
                actor,
                throttle,
                throttle.record_failure(session, user.username, client, user, admission),
                user.id,
                client,
            )
        session.commit()
        raise ReauthFailed("The current password is wrong.")
    if throttle is not None:
        throttle.forgive(user.username, admission)

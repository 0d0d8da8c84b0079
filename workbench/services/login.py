"""Checking credentials; successes and failures are both audited."""
from __future__ import annotations

from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import User
from workbench.models.base import utcnow
from workbench.services.users import find_user


def attempt_login(session: Session, username: str, password: str) -> User | None:
    user = find_user(session, username)
    if user is None or not user.is_active or not user.check_password(password):
        # The username typed is not stored: it may be a password typed in the wrong box.
        audit.record(session, Actor.system("login"), "login.failed", "user",
                     user.id if user else "unknown")
        session.commit()
        return None
    user.last_login_at = utcnow()
    audit.record(session, Actor.user(user.id), "login.succeeded", "user", user.id)
    session.commit()
    return user

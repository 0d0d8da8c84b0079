"""Starting a login session and loading its user back, with revocation and an absolute lifetime.

The cookie carries "<user id>:<session token>" (User.get_id). Rotating the user's token
ends every session at once; `login_at` caps a session at WORKBENCH_SESSION_MAX_HOURS even if
it is used all day (PERMANENT_SESSION_LIFETIME is the idle timeout).
"""

from __future__ import annotations

import hmac
import time

from flask import current_app, session
from flask_login import login_user

from workbench.extensions import db
from workbench.models import User
from workbench.settings import current as current_settings


def start_session(user: User) -> None:
    session.clear()  # nothing from before the login (half-finished TOTP step, old ids) survives it
    login_user(user)
    session.permanent = True
    session["login_at"] = int(time.time())


def keep_session(user: User) -> None:
    """After the user's token rotated on purpose (own password change): this session stays."""
    login_at = session.get("login_at")
    login_user(user)
    session["login_at"] = login_at


def load_session_user(user_id: str) -> User | None:
    user_key, sep, token = (user_id or "").partition(":")
    if not sep or not user_key.isdigit() or not token:
        return None  # a cookie from before session tokens, or a forged one
    manager = current_app.login_manager
    if manager.session_protection == "strong" and session.get("_id") != manager._session_identifier_generator():
        # flask-login only marks a *permanent* session "not fresh" when its browser or address
        # changes; the workbench's sessions are permanent (for the idle timeout), so end it here.
        return None
    login_at = session.get("login_at")
    max_age = current_settings().session_max_hours * 3600
    if not isinstance(login_at, (int, float)) or time.time() - login_at > max_age:
        return None
    user = db.session.get(User, int(user_key))
    if user is None or not hmac.compare_digest((user.session_token or "").encode(), token.encode()):
        return None
    return user

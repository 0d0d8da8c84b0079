"""Creating and administering staff accounts. Every change is audited in its own transaction.

Audit payloads name roles, scopes and flags, never the username (it may be a real name) or
a password; the object id is the user's id.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import ROLES, User
from workbench.services.access.scope import ScopeError, parse_jurisdictions, parse_languages
from workbench.services.accounts.passwords import PasswordRejected, check_password_policy, generate_password
from workbench.services.accounts.reauth import confirm_password
from workbench.settings import Settings

__all__ = [
    "AccountError",
    "LastAdmin",
    "PasswordRejected",
    "ScopeError",
    "UnknownRole",
    "UsernameTaken",
    "change_password",
    "create_user",
    "find_user",
    "generate_password",
    "list_users",
    "reset_password",
    "revoke_sessions",
    "set_active",
    "set_role",
    "set_scope",
    "unlock_login",
    "update_account",
]

MAX_USERNAME = 64
# ASCII only: no look-alike letters between two accounts' names.
USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")


class AccountError(ValueError):
    pass


class UnknownRole(AccountError):
    pass


class UsernameTaken(AccountError):
    pass


class LastAdmin(AccountError):
    pass


def _clean_username(username: str) -> str:
    username = (username or "").strip()
    if not USERNAME.fullmatch(username):
        raise AccountError(f"A username has 1 to {MAX_USERNAME} characters: letters, digits and . _ - @ +")
    return username


def create_user(
    session: Session,
    username: str,
    role: str,
    password: str,
    actor: Actor,
    *,
    settings: Settings,
    jurisdictions: str | Iterable[str] = (),
    languages: str | Iterable[str] = (),
    must_change_password: bool = False,
) -> User:
    """A new account. Without jurisdictions and languages it sees no case until given a scope.
    `must_change_password`: the password was chosen by someone else (admin page), so the user
    replaces it at their first login. `settings`: the password's minimum length and hash method."""
    username = _clean_username(username)
    if role not in ROLES:
        raise UnknownRole(f"role must be one of {', '.join(ROLES)}")
    check_password_policy(password, username, min_length=settings.password_min_length)
    scope = {"jurisdictions": parse_jurisdictions(jurisdictions), "languages": parse_languages(languages)}
    # "Ana" and "ana" would be two accounts nobody can tell apart: names are unique ignoring case.
    if session.scalar(select(User.id).where(func.lower(User.username) == username.lower())) is not None:
        raise UsernameTaken("That username is taken.")
    user = User(username=username, role=role, must_change_password=must_change_password, **scope)
    user.set_password(password, settings.password_hash_method)
    session.add(user)
    try:
        session.flush()
    except IntegrityError as exc:  # created by someone else a moment ago
        session.rollback()
        raise UsernameTaken("That username is taken.") from exc
    audit.record(session, actor, "user.created", "user", user.id, role=role, **scope)
    session.commit()
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == (username or "").strip()))


def list_users(session: Session) -> list[User]:
    return list(session.scalars(select(User).order_by(User.username)))


def _active_admins(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(User).where(User.role == "admin", User.active.is_(True)))


def _guard_last_admin(session: Session, user: User, *, new_role: str, new_active: bool) -> None:
    # Nobody could then manage accounts from the web: keep at least one active admin.
    was_admin = user.role == "admin" and user.active
    if was_admin and not (new_role == "admin" and new_active) and _active_admins(session) <= 1:
        raise LastAdmin("This is the last active admin: make another admin first.")


def set_role(session: Session, user: User, role: str, actor: Actor) -> bool:
    changed = _apply_role(session, user, role, actor)
    session.commit()
    return changed


def set_scope(
    session: Session, user: User, jurisdictions: str | Iterable[str], languages: str | Iterable[str], actor: Actor
) -> bool:
    changed = _apply_scope(session, user, jurisdictions, languages, actor)
    session.commit()
    return changed


def set_active(session: Session, user: User, active: bool, actor: Actor) -> bool:
    changed = _apply_active(session, user, active, actor)
    session.commit()
    return changed


def update_account(
    session: Session, user: User, actor: Actor, *, role: str, jurisdictions, languages, active: bool
) -> list[str]:
    """The admin edit form: all changes or none, one audit event per kind of change."""
    changed = []
    try:
        if _apply_scope(session, user, jurisdictions, languages, actor):
            changed.append("scope")
        if _apply_role(session, user, role, actor):
            changed.append("role")
        if _apply_active(session, user, active, actor):
            changed.append("active")
    except (AccountError, ScopeError):
        session.rollback()
        raise
    session.commit()
    return changed


def _apply_role(session: Session, user: User, role: str, actor: Actor) -> bool:
    if role not in ROLES:
        raise UnknownRole(f"role must be one of {', '.join(ROLES)}")
    if role == user.role:
        return False
    _guard_last_admin(session, user, new_role=role, new_active=user.active)
    audit.record(session, actor, "user.role_changed", "user", user.id, from_role=user.role, to_role=role)
    user.role = role
    return True


def _apply_scope(session: Session, user: User, jurisdictions, languages, actor: Actor) -> bool:
    new = {"jurisdictions": parse_jurisdictions(jurisdictions), "languages": parse_languages(languages)}
    old = {"jurisdictions": list(user.jurisdictions or []), "languages": list(user.languages or [])}
    if new == old:
        return False
    audit.record(session, actor, "user.scope_changed", "user", user.id, from_scope=old, to_scope=new)
    user.jurisdictions, user.languages = new["jurisdictions"], new["languages"]
    return True


def _apply_active(session: Session, user: User, active: bool, actor: Actor) -> bool:
    if bool(user.active) == bool(active):
        return False
    _guard_last_admin(session, user, new_role=user.role, new_active=active)
    user.active = bool(active)
    if not active:
        user.rotate_session_token()  # a deactivated account's open sessions end now
    audit.record(session, actor, "user.activated" if active else "user.deactivated", "user", user.id)
    return True


def reset_password(session: Session, user: User, actor: Actor, *, settings: Settings) -> str:
    """A new random password, returned once; the user must choose their own at next login."""
    password = generate_password()
    user.set_password(password, settings.password_hash_method)
    user.must_change_password = True
    user.rotate_session_token()
    audit.record(session, actor, "user.password_reset", "user", user.id)
    session.commit()
    return password


def change_password(
    session: Session,
    user: User,
    current: str,
    new: str,
    actor: Actor,
    *,
    settings: Settings,
    throttle=None,
    client: str | None = None,
) -> None:
    """The user's own change. Other sessions end; the caller re-logs the current one in.
    A wrong current password counts in the login backoff (reauth.ReauthFailed), so a stolen
    session cookie cannot use this form to guess the password without limit."""
    confirm_password(session, user, current, actor, purpose="password_change", throttle=throttle, client=client)
    check_password_policy(new, user.username, min_length=settings.password_min_length)
    if user.check_password(new):
        raise PasswordRejected("Choose a password different from the current one.")
    user.set_password(new, settings.password_hash_method)
    user.must_change_password = False
    user.rotate_session_token()
    audit.record(session, actor, "user.password_changed", "user", user.id)
    session.commit()


def revoke_sessions(session: Session, user: User, actor: Actor) -> None:
    """Log out everywhere: every session cookie issued so far stops working."""
    user.rotate_session_token()
    audit.record(session, actor, "user.sessions_revoked", "user", user.id)
    session.commit()


def unlock_login(session: Session, user: User, throttle, actor: Actor) -> bool:
    """Clear the account's failed-login window (the address window is left alone)."""
    cleared = throttle.clear_account(user.username)
    audit.record(session, actor, "user.lockout_cleared", "user", user.id, cleared=cleared)
    session.commit()
    return cleared

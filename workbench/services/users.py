"""Creating and looking up staff accounts."""
from __future__ import annotations

import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import ROLES, User


class UnknownRole(ValueError):
    pass


def generate_password() -> str:
    return secrets.token_urlsafe(12)


def create_user(session: Session, username: str, role: str, password: str, actor: Actor) -> User:
    if role not in ROLES:
        raise UnknownRole(f"role must be one of {', '.join(ROLES)}")
    user = User(username=username, role=role)
    user.set_password(password)
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.created", "user", user.id, role=role)
    session.commit()
    return user


def find_user(session: Session, username: str) -> User | None:
    return session.scalar(select(User).where(User.username == username))

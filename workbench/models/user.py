"""Workbench staff accounts (moderators, policy editors, auditors, admins).

Scope: `jurisdictions` (ISO 3166-1 country codes, "EU" or "GLOBAL") and `languages`
(ISO 639-1 codes, or "*" for any) bound which cases a user may see; both empty means the
user sees no case at all (fail closed). workbench/services/access/scope.py reads them.

Sessions: the session cookie holds `get_id()`, "<id>:<session_token>". Rotating the token
(logout, password reset, TOTP change, "log out everywhere", deactivation) invalidates every session.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from flask_login import UserMixin
from sqlalchemy import JSON, BigInteger, Boolean, String, false
from sqlalchemy.orm import Mapped, mapped_column
from werkzeug.security import check_password_hash, generate_password_hash

from workbench.models.base import Base, UTCDateTime, utcnow

ROLES = ("moderator", "senior_moderator", "policy_editor", "auditor", "legal", "admin")


def new_session_token() -> str:
    return secrets.token_urlsafe(24)


class User(UserMixin, Base):
    __tablename__ = "users"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    jurisdictions: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    languages: Mapped[list] = mapped_column(JSON, default=list, server_default="[]")
    # Rows that predate the column get "" and a real token on their next login.
    session_token: Mapped[str] = mapped_column(String(64), default=new_session_token, server_default="")
    # Set by an admin reset: the next page after login is "choose a new password".
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # TOTP (RFC 6238): the base32 secret, encrypted with a key outside the database
    # (services/accounts/totp_secrets.py); enabled once the user confirmed a code from it.
    totp_secret: Mapped[str | None] = mapped_column(String(255))
    totp_enabled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # The last time step accepted: a code is never accepted twice (RFC 6238 §5.2).
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger)

    @property
    def is_active(self) -> bool:  # flask-login refuses inactive accounts
        return bool(self.active)

    @property
    def totp_enabled(self) -> bool:
        return self.totp_enabled_at is not None and bool(self.totp_secret)

    def get_id(self) -> str:
        return f"{self.id}:{self.session_token}"

    def rotate_session_token(self) -> None:
        self.session_token = new_session_token()

    def set_password(self, password: str, method: str) -> None:
        self.password_hash = generate_password_hash(password, method=method)

    def check_password(self, password: str) -> bool:
        return check_password_hash(self.password_hash, password)

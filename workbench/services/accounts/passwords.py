"""The password policy: long enough, not absurdly long, not the username.

Length beats composition rules (NIST SP 800-63B §5.1.1.2): no "one digit, one symbol".
The minimum is WORKBENCH_PASSWORD_MIN_LENGTH (default 12); callers outside a Flask app get
the default.
"""

from __future__ import annotations

import secrets

from flask import current_app, has_app_context
from werkzeug.security import generate_password_hash

DEFAULT_MIN_LENGTH = 12
DEFAULT_HASH_METHOD = "scrypt"  # werkzeug's default; a hash names its method, so changing it is safe
MAX_LENGTH = 256  # hashing cost stays bounded; the login form refuses longer input too


class PasswordRejected(ValueError):
    pass


def min_length() -> int:
    if has_app_context():
        return int(current_app.config.get("WORKBENCH_PASSWORD_MIN_LENGTH", DEFAULT_MIN_LENGTH))
    return DEFAULT_MIN_LENGTH


def hash_method() -> str:
    if has_app_context():
        return current_app.config.get("WORKBENCH_PASSWORD_HASH_METHOD") or DEFAULT_HASH_METHOD
    return DEFAULT_HASH_METHOD


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=hash_method())


def check_password_policy(password: str, username: str) -> None:
    """Raise PasswordRejected with a message a person can act on."""
    required = min_length()
    if len(password) < required:
        raise PasswordRejected(f"The password must have at least {required} characters.")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"The password must have at most {MAX_LENGTH} characters.")
    if not password.strip():
        raise PasswordRejected("The password must not be only spaces.")
    if password.strip().casefold() == (username or "").strip().casefold():
        raise PasswordRejected("The password must not be the username.")


def generate_password() -> str:
    """A random password that satisfies the policy (22 URL-safe characters, 128 bits)."""
    return secrets.token_urlsafe(16)

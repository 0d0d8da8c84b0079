"""The password policy: long enough, not absurdly long, not the username.

Length beats composition rules (NIST SP 800-63B §5.1.1.2): no "one digit, one symbol".
The minimum is the caller's Settings.password_min_length (WORKBENCH_PASSWORD_MIN_LENGTH).
"""

from __future__ import annotations

import secrets

MAX_LENGTH = 256  # hashing cost stays bounded; the login form refuses longer input too


class PasswordRejected(ValueError):
    pass


def check_password_policy(password: str, username: str, *, min_length: int) -> None:
    """Raise PasswordRejected with a message a person can act on."""
    if len(password) < min_length:
        raise PasswordRejected(f"The password must have at least {min_length} characters.")
    if len(password) > MAX_LENGTH:
        raise PasswordRejected(f"The password must have at most {MAX_LENGTH} characters.")
    if not password.strip():
        raise PasswordRejected("The password must not be only spaces.")
    if password.strip().casefold() == (username or "").strip().casefold():
        raise PasswordRejected("The password must not be the username.")


def generate_password() -> str:
    """A random password that satisfies the policy (22 URL-safe characters, 128 bits)."""
    return secrets.token_urlsafe(16)

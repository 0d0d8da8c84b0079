"""Log in (password, then a TOTP code when the account has one), log out."""

from __future__ import annotations

from workbench.web.auth import routes  # noqa: F401  (views register on import)
from workbench.web.auth.blueprint import bp

__all__ = ["bp"]

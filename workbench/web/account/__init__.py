"""The signed-in user's own account: password, two-factor authentication, sessions."""

from __future__ import annotations

from workbench.web.account import routes  # noqa: F401  (views register on import)
from workbench.web.account.blueprint import bp

__all__ = ["bp"]

"""/admin/users: accounts, roles, scopes, password and second-factor resets (users.manage)."""

from __future__ import annotations

from workbench.web.users_admin import routes  # noqa: F401  (views register on import)
from workbench.web.users_admin.blueprint import bp

__all__ = ["bp"]

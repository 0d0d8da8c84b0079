"""/admin/users: accounts, roles, scopes, password and second-factor resets (users.manage)."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("users_admin", __name__, url_prefix="/admin/users")

from workbench.web.users_admin import routes  # noqa: E402,F401  (routes register on import)

"""The signed-in user's own account: password, two-factor authentication, sessions."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("account", __name__, url_prefix="/account")

from workbench.web.account import routes  # noqa: E402,F401  (routes register on import)

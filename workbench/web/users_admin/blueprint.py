"""The `users_admin` blueprint; its views are in the modules `__init__` imports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("users_admin", __name__, url_prefix="/admin/users")

"""Hash-bank management: banks, entries, imports and exports, the compare tool."""
from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from workbench.authz import has_permission

bp = Blueprint("banks", __name__, url_prefix="/banks")


@bp.app_template_global("user_can")
def user_can(permission: str) -> bool:
    return has_permission(current_user, permission)


from workbench.web.banks import compare, lists, media, routes  # noqa: E402,F401  (routes register on import)

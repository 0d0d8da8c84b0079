"""The policy editor: packs, drafts with inline validation, versions, diff, test, backtest, publish."""
from __future__ import annotations

from flask import Blueprint
from flask_login import current_user

from workbench.authz import has_permission

bp = Blueprint("policies", __name__, url_prefix="/policies")


@bp.app_template_global("user_can")
def user_can(permission: str) -> bool:
    return has_permission(current_user, permission)


from workbench.web.policies import routes, tools  # noqa: E402,F401  (routes register on import)

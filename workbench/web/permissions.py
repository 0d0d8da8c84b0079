"""`@require_permission`: the role check every web route makes, and `user_can` for templates
(the tables are in services/access/permissions.py)."""

from __future__ import annotations

import functools

from flask import abort
from flask_login import current_user

from workbench.extensions import login_manager
from workbench.services.access.permissions import has_permission


def require_permission(permission: str):
    """Log-in required; 403 for a logged-in user whose role lacks the permission."""

    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_permission(current_user, permission):
                abort(403)
            return view(*args, **kwargs)

        wrapper.required_permission = permission  # read by the authorisation-matrix test
        return wrapper

    return decorator


def user_can(permission: str) -> bool:
    """In templates: may the signed-in user do this? (registered as a global by web.init_app)"""
    return has_permission(current_user, permission)

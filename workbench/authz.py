"""Roles → permissions, and the decorator routes use.

Object and region checks (who may decide which case) join this module with the review
queues; routes and services call the same functions.
"""
from __future__ import annotations

import functools

from flask import abort
from flask_login import current_user

PERMISSIONS: dict[str, frozenset[str]] = {
    "moderator": frozenset({"items.view", "cases.decide"}),
    "senior_moderator": frozenset({"items.view", "cases.decide", "cases.escalated", "appeals.decide",
                                   "banks.view", "qa.review"}),
    "policy_editor": frozenset({"items.view", "policies.view", "policies.edit", "policies.publish",
                                "banks.view"}),
    "auditor": frozenset({"audit.view", "exports.run", "policies.view"}),
    "admin": frozenset({"items.view", "banks.view", "banks.manage", "users.manage", "clients.manage",
                        "policies.view", "audit.view", "privacy.manage"}),
}


def has_permission(user, permission: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and permission in PERMISSIONS.get(user.role, frozenset())


def require_permission(permission: str):
    """Log-in required; 403 for a logged-in user whose role lacks the permission."""
    def decorator(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            from workbench.extensions import login_manager
            if not current_user.is_authenticated:
                return login_manager.unauthorized()
            if not has_permission(current_user, permission):
                abort(403)
            return view(*args, **kwargs)
        wrapper.required_permission = permission  # read by the authorisation-matrix test
        return wrapper
    return decorator

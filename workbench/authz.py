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
                                   "banks.view", "qa.review", "qa.agreement", "wellness.team",
                                   "ops.dashboard"}),
    "policy_editor": frozenset({"items.view", "policies.view", "policies.edit", "policies.publish",
                                "banks.view"}),
    "auditor": frozenset({"audit.view", "exports.run", "policies.view"}),
    "admin": frozenset({"items.view", "banks.view", "banks.manage", "users.manage", "clients.manage",
                        "policies.view", "audit.view", "privacy.manage", "wellness.team",
                        "qa.agreement", "ops.dashboard", "exports.run"}),
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


def user_scope(user) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """(countries, languages) the user works on; None = all. Empty sets = nothing (fail closed).

    The "EU" jurisdiction expands to its member countries through policies' catalogue.
    SQL form for queue queries: workbench.scope.scope_clause(*user_scope(user), Item.country, Item.language).
    """
    from workbench.scope import countries_of, languages_of
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return frozenset(), frozenset()
    return countries_of(user.jurisdictions or ()), languages_of(user.languages or ())


def can_see_item(user, country: str | None, language: str | None) -> bool:
    """May this user see an item from `country` in `language` (a BCP 47 tag, or None if unknown)?"""
    from workbench.scope import can_see
    return can_see(*user_scope(user), country, language)

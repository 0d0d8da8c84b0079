"""Roles → permissions, and the object and region checks (who may see which item) that
routes and services call alike. Routes check a permission with the web layer's
`require_permission` decorator (workbench/web/permissions.py)."""

from __future__ import annotations

from workbench.services.access.scope import can_see, countries_of, languages_of

PERMISSIONS: dict[str, frozenset[str]] = {
    "moderator": frozenset({"items.view", "cases.decide"}),
    "senior_moderator": frozenset(
        {
            "items.view",
            "cases.decide",
            "cases.escalated",
            "appeals.decide",
            "banks.view",
            "qa.review",
            "qa.agreement",
            "wellness.team",
            "ops.dashboard",
        }
    ),
    "policy_editor": frozenset({"items.view", "policies.view", "policies.edit", "policies.publish", "banks.view"}),
    "auditor": frozenset({"audit.view", "exports.run", "policies.view"}),
    # Counsel: evidence holds and reports to authorities, on any item in their scope.
    "legal": frozenset({"items.view", "holds.manage"}),
    "admin": frozenset(
        {
            "items.view",
            "banks.view",
            "banks.manage",
            "users.manage",
            "clients.manage",
            "policies.view",
            "audit.view",
            "privacy.manage",
            "holds.manage",
            "wellness.team",
            "qa.agreement",
            "ops.dashboard",
            "exports.run",
        }
    ),
}


def has_permission(user, permission: str) -> bool:
    return bool(getattr(user, "is_authenticated", False)) and permission in PERMISSIONS.get(user.role, frozenset())


def user_scope(user) -> tuple[frozenset[str] | None, frozenset[str] | None]:
    """(countries, languages) the user works on; None = all. Empty sets = nothing (fail closed).

    The "EU" jurisdiction expands to its member countries through policies' catalogue.
    SQL form for queue queries: workbench.services.access.scope.scope_clause(*user_scope(user), Item.country, Item.language).
    """
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return frozenset(), frozenset()
    return countries_of(user.jurisdictions or ()), languages_of(user.languages or ())


def can_see_item(user, country: str | None, language: str | None) -> bool:
    """May this user see an item from `country` in `language` (a BCP 47 tag, or None if unknown)?"""
    return can_see(*user_scope(user), country, language)

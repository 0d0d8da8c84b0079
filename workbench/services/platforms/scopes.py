"""The scopes an API key can carry: every /api/v1 route needs exactly one of them.

A key holds only the scopes chosen when it was made (or changed later by an admin); a
route that needs a scope the key lacks answers 403 `insufficient_scope`. The bank scopes
are never part of the default: reading or changing shared hash lists is a separate grant.
"""

from __future__ import annotations

from collections.abc import Iterable

from workbench.services.validation import ValidationFailed

ITEMS = "items"
REPORTS = "reports"
APPEALS = "appeals"
WEBHOOKS = "webhooks"
BANKS_READ = "banks:read"
BANKS_WRITE = "banks:write"

# In the order the admin page and the CLI show them, each with what it allows.
SCOPES: dict[str, str] = {
    ITEMS: "Send items (text, images, videos) and read back the key's own items and their outcome",
    REPORTS: "Send reports (notices) about the key's own items",
    APPEALS: "Send appeals against decisions on the key's own items and read their outcome",
    WEBHOOKS: "Read and change the key's own decision webhook, rotate its secret, read its delivery log",
    BANKS_READ: "List, read and export the hash banks the key owns or that staff shared; compare two pictures",
    BANKS_WRITE: "Create hash banks owned by the key, and change, add to or import into the banks it owns",
}

# What a key gets when nobody chose otherwise, and what keys made before scopes existed kept.
DEFAULT_SCOPES: tuple[str, ...] = (ITEMS, REPORTS, APPEALS, WEBHOOKS)


class InvalidScope(ValidationFailed):
    def __init__(self, message: str, field: str = "scopes"):
        super().__init__("invalid_scope", message, field)


def known_scope(scope: str) -> str:
    """`scope` itself, if it is in the vocabulary (routes call this at import time)."""
    if scope not in SCOPES:
        raise InvalidScope(f"unknown scope {scope!r}; known: {', '.join(SCOPES)}")
    return scope


def normalize_scopes(scopes: Iterable[str]) -> tuple[str, ...]:
    """Known scopes, without duplicates, in vocabulary order; an unknown one is refused."""
    wanted = set()
    for scope in scopes:
        if not isinstance(scope, str):
            raise InvalidScope("scopes must be strings")
        wanted.add(known_scope(scope.strip()))
    return tuple(scope for scope in SCOPES if scope in wanted)


def parse_scope_text(text: str) -> tuple[str, ...]:
    """Scopes written as the database and the CLI write them: separated by spaces or commas."""
    return normalize_scopes(part for part in text.replace(",", " ").split() if part)


def scope_text(scopes: Iterable[str]) -> str:
    """The stored form: space-separated, in vocabulary order (as OAuth writes scopes)."""
    return " ".join(normalize_scopes(scopes))

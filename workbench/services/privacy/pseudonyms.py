"""Keyed pseudonyms for platform user ids (GDPR Art. 4(5)), one namespace per platform.

HMAC-SHA256 with a key kept outside the database: the same user of the same platform always
gets the same pseudonym, so repeat offenders are visible, but the id cannot be recovered
without the key. User "42" of one platform and user "42" of another are different people,
so the pseudonym covers the API client:

    pseudonym = HMAC(key, "v2" NUL <client id> NUL HMAC(key, user id))

The inner HMAC is what was stored before pseudonyms were per platform. Migration 0008c
re-keys those rows from the stored value and the row's client (the raw id is never stored)
and records each old -> new pair per client in `pseudonym_rekeys`.
"""

from __future__ import annotations

import hashlib
import hmac

SCHEME = "v2"


def _hmac(key: str, message: str) -> str:
    return hmac.new(key.encode("utf-8"), message.encode("utf-8"), hashlib.sha256).hexdigest()


def legacy_pseudonym(key: str, platform_user_id: str) -> str:
    """The pseudonym before it covered the platform: the same for a user id on every client."""
    return _hmac(key, platform_user_id)


def client_pseudonym(key: str, client_id: int, legacy: str) -> str:
    """The per-platform pseudonym, from the legacy value (what the migration has)."""
    return _hmac(key, f"{SCHEME}\x00{int(client_id)}\x00{legacy}")


def pseudonymise(key: str, client_id: int, platform_user_id: str) -> str:
    """The pseudonym of `platform_user_id` on the API client `client_id`."""
    return client_pseudonym(key, client_id, legacy_pseudonym(key, platform_user_id))

"""Keyed pseudonyms for platform user ids (GDPR Art. 4(5)).

HMAC-SHA256 with a key kept outside the database: the same user always gets the same
pseudonym, so repeat offenders are visible, but the id cannot be recovered without the key.
"""
from __future__ import annotations

import hashlib
import hmac


def pseudonymise(key: str, platform_user_id: str) -> str:
    return hmac.new(key.encode("utf-8"), platform_user_id.encode("utf-8"), hashlib.sha256).hexdigest()

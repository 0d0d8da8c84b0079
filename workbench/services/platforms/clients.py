"""API keys: `wb_<prefix>_<secret>`, stored as a SHA-256 of the whole key.

The keys are 256-bit random values, so a fast hash is enough (no password stretching):
nobody can guess a preimage. The prefix finds the row without scanning.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import ApiClient
from workbench.services.platforms.scopes import DEFAULT_SCOPES, normalize_scopes, scope_text
from workbench.services.validation import ValidationFailed, string_field


@dataclass(frozen=True)
class IssuedKey:
    client: ApiClient
    key: str  # shown once, never stored


def _new_key() -> tuple[str, str]:
    prefix = secrets.token_hex(6)
    return prefix, f"wb_{prefix}_{secrets.token_urlsafe(32)}"


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


class ClientNameTaken(ValidationFailed):
    def __init__(self, name: str):
        super().__init__("client_name_taken", f"an API client named {name!r} exists", "name", 409)


def create_client(session: Session, name: str, actor: Actor, scopes: Iterable[str] = DEFAULT_SCOPES) -> IssuedKey:
    """A new client and its key; `scopes` is what the key may do (services/platforms/scopes.py)."""
    name = string_field({"name": name}, "name", required=True, max_chars=100)
    chosen = normalize_scopes(scopes)
    if find_client(session, name) is not None:
        raise ClientNameTaken(name)
    prefix, key = _new_key()
    client = ApiClient(name=name, key_prefix=prefix, key_hash=_hash_key(key), scopes=scope_text(chosen))
    session.add(client)
    try:
        session.flush()
    except IntegrityError as exc:  # created by someone else in the meantime
        session.rollback()
        raise ClientNameTaken(name) from exc
    audit.record(session, actor, "api_client.created", "api_client", client.id, client_name=name, scopes=list(chosen))
    session.commit()
    return IssuedKey(client, key)


def set_scopes(session: Session, client: ApiClient, scopes: Iterable[str], actor: Actor) -> bool:
    """Give the key exactly `scopes`; audited with the old and new set. False if nothing changed."""
    old, new = client.scope_list, list(normalize_scopes(scopes))
    if set(old) == set(new):
        return False
    client.scopes = scope_text(new)
    audit.record(
        session,
        actor,
        "api_client.scopes_changed",
        "api_client",
        client.id,
        old_scopes=old,
        new_scopes=new,
        added=[s for s in new if s not in old],
        removed=[s for s in old if s not in new],
    )
    session.commit()
    return True


def rotate_key(session: Session, client: ApiClient, actor: Actor) -> IssuedKey:
    """Issue a new key for an existing client; the old key stops working at once."""
    prefix, key = _new_key()
    client.key_prefix = prefix
    client.key_hash = _hash_key(key)
    audit.record(session, actor, "api_client.key_rotated", "api_client", client.id)
    session.commit()
    return IssuedKey(client, key)


def find_client(session: Session, name: str) -> ApiClient | None:
    return session.scalar(select(ApiClient).where(ApiClient.name == name))


def authenticate(session: Session, key: str) -> ApiClient | None:
    parts = key.split("_", 2)
    if len(parts) != 3 or parts[0] != "wb":
        return None
    client = session.scalar(select(ApiClient).where(ApiClient.key_prefix == parts[1]))
    if client is None or not client.is_active:
        return None
    if not hmac.compare_digest(client.key_hash, _hash_key(key)):
        return None
    return client

"""API keys: `wb_<prefix>_<secret>`, stored as a SHA-256 of the whole key.

The keys are 256-bit random values, so a fast hash is enough (no password stretching):
nobody can guess a preimage. The prefix finds the row without scanning.
"""
from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import ApiClient


@dataclass(frozen=True)
class IssuedKey:
    client: ApiClient
    key: str  # shown once, never stored


def _new_key() -> tuple[str, str]:
    prefix = secrets.token_hex(6)
    return prefix, f"wb_{prefix}_{secrets.token_urlsafe(32)}"


def _hash_key(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def create_client(session: Session, name: str, actor: Actor) -> IssuedKey:
    prefix, key = _new_key()
    client = ApiClient(name=name, key_prefix=prefix, key_hash=_hash_key(key))
    session.add(client)
    session.flush()
    audit.record(session, actor, "api_client.created", "api_client", client.id, client_name=name)
    session.commit()
    return IssuedKey(client, key)


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

"""TOTP secrets at rest: AES-256-GCM with a key kept in a file outside the database.

Whoever reads the database (a backup, a dump, an injection) learns no second factor; like the
audit signing key, the key lives in a file (WORKBENCH_TOTP_KEY_FILE, by default `totp.key` in
the instance folder, created with mode 0600 at first start). The stored form is
"v1:<key id>:<base64url(nonce | ciphertext and tag)>"; the account's id is bound in as
associated data, so a sealed secret copied into another account's row does not open.

A secret sealed with another key (the key file was lost, replaced or not deployed) cannot be
opened: `TotpKeyError` says which, and callers refuse the code rather than fail open.
"""

from __future__ import annotations

import base64
import hashlib
import os
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

VERSION = "v1"
KEY_BYTES = 32
_NONCE_BYTES = 12
_loaded: dict[str, TotpKey] = {}  # key file path -> its key, read once per process
_lock = threading.Lock()


class TotpKeyError(RuntimeError):
    """The key file is unusable, or a stored secret does not open with it."""


@dataclass(frozen=True)
class TotpKey:
    material: bytes

    @property
    def key_id(self) -> str:
        """Names the key in each stored secret (a hash: says nothing about the key)."""
        return hashlib.sha256(b"workbench-totp-key:" + self.material).hexdigest()[:8]


def create_key_file(path: str | os.PathLike) -> bool:
    """Write a new random key (hex, mode 0600) unless the file exists; True if it was created."""
    key_path = Path(path)
    if key_path.exists():
        return False
    key_path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process created it a moment ago
        return False
    with os.fdopen(fd, "w") as handle:
        handle.write(secrets.token_hex(KEY_BYTES) + "\n")
    return True


def read_key_file(path: str | os.PathLike) -> TotpKey:
    try:
        text = Path(path).read_text().strip()
    except OSError as exc:
        raise TotpKeyError(f"cannot read the TOTP key file {path} (WORKBENCH_TOTP_KEY_FILE): {exc.strerror}") from exc
    try:
        material = bytes.fromhex(text)
    except ValueError:
        material = b""
    if len(material) != KEY_BYTES:
        raise TotpKeyError(
            f"the TOTP key file {path} (WORKBENCH_TOTP_KEY_FILE) must hold {KEY_BYTES * 2} hexadecimal characters"
        )
    return TotpKey(material)


def key_from_file(path: str | os.PathLike) -> TotpKey:
    """The key in `path` (Settings.totp_key_file), read once per process; an unusable file is
    read again next time (TotpKeyError), so a restored key file is picked up."""
    path = os.fspath(path)
    with _lock:
        cached = _loaded.get(path)
    if cached is None:
        cached = read_key_file(path)
        with _lock:
            _loaded[path] = cached
    return cached


def is_sealed(stored: str | None) -> bool:
    return bool(stored) and stored.startswith(VERSION + ":")


def seal(key: TotpKey, secret: str, context: str) -> str:
    """`context` names what the secret belongs to (e.g. "user:42"); opening needs the same one."""
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(key.material).encrypt(nonce, secret.encode("ascii"), context.encode())
    return f"{VERSION}:{key.key_id}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii').rstrip('=')}"


def unseal(key: TotpKey, stored: str, context: str) -> str:
    version, _, rest = (stored or "").partition(":")
    key_id, _, body = rest.partition(":")
    if version != VERSION or not body:
        raise TotpKeyError("the stored TOTP secret is not encrypted (run `flask db upgrade`)")
    if key_id != key.key_id:
        raise TotpKeyError(
            f"the stored TOTP secret was encrypted with another key (id {key_id}; the key file "
            f"WORKBENCH_TOTP_KEY_FILE names has id {key.key_id})"
        )
    try:
        raw = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
        return AESGCM(key.material).decrypt(raw[:_NONCE_BYTES], raw[_NONCE_BYTES:], context.encode()).decode("ascii")
    except (ValueError, InvalidTag) as exc:
        raise TotpKeyError(
            "the stored TOTP secret does not decrypt with this key: it was altered or belongs to another account"
        ) from exc


def user_context(user_id: int) -> str:
    return f"user:{user_id}"

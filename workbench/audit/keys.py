"""The Ed25519 key that signs checkpoints. It lives in a file outside the database, so
someone who can rewrite the database still cannot forge a signed tree head.

Only the signer (the sweeper, `flask audit checkpoint`, the export worker) loads the private
key. It publishes the public half in a file of its own (WORKBENCH_AUDIT_PUBLIC_KEY, by default
next to the private key), which is all a web process reads: a web request never opens, let
alone creates, the private key file.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from flask import current_app

from workbench.settings import Settings
from workbench.settings import of as settings_of


def load_or_create_signing_key(path: str, public_path: str | None = None) -> Ed25519PrivateKey:
    """The private key (created, mode 0600, if the file is missing); with `public_path`, also
    (re)writes the public key file there when it is missing or holds another key."""
    key_path = Path(path)
    if key_path.exists():
        key = serialization.load_pem_private_key(key_path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ValueError(f"{path} is not an Ed25519 private key")
    else:
        key_path.parent.mkdir(parents=True, exist_ok=True)
        key = Ed25519PrivateKey.generate()
        pem = key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
        fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
    if public_path:
        publish_public_key(key, public_path)
    return key


def public_key_path(settings: Settings) -> str:
    """WORKBENCH_AUDIT_PUBLIC_KEY, or the signing key's path with `.pub.pem` for `.pem`."""
    configured = settings.audit_public_key
    if configured:
        return configured
    private = settings.audit_signing_key
    return (private[: -len(".pem")] if private.endswith(".pem") else private) + ".pub.pem"


def publish_public_key(key: Ed25519PrivateKey, path: str) -> None:
    """Write the public key file (mode 0644, atomically) unless it already holds this key."""
    pem = public_key_pem(key)
    target = Path(path)
    try:
        if target.read_bytes() == pem:
            return
    except FileNotFoundError:
        pass
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, temporary = tempfile.mkstemp(dir=target.parent, prefix=".audit-public-key-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(pem)
        os.chmod(temporary, 0o644)
        os.replace(temporary, target)
    except BaseException:
        os.unlink(temporary)
        raise


def read_public_key(path: str) -> bytes | None:
    """The published public key as PEM, or None when there is none yet (or it is not an
    Ed25519 public key). Never touches the private key."""
    from cryptography.exceptions import UnsupportedAlgorithm

    try:
        pem = Path(path).read_bytes()
        key = serialization.load_pem_public_key(pem)
    except (OSError, ValueError, UnsupportedAlgorithm):
        return None
    return pem if isinstance(key, Ed25519PublicKey) else None


def public_key_pem(key: Ed25519PrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


def key_id(key: Ed25519PrivateKey | Ed25519PublicKey) -> str:
    public = key.public_key() if isinstance(key, Ed25519PrivateKey) else key
    raw = public.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)
    return hashlib.sha256(raw).hexdigest()[:16]


def signer_key(app=None) -> Ed25519PrivateKey:
    """The app's (default: the current app's) private key, for signers only (the sweeper,
    `flask audit …`, the export worker), loaded once per process; loading it also publishes the
    public key file web processes read."""
    app = app or current_app
    cached = app.extensions.get("workbench_audit_key")
    if cached is None:
        cached = load_or_create_signing_key(settings_of(app).audit_signing_key, public_key_path(settings_of(app)))
        app.extensions["workbench_audit_key"] = cached
    return cached

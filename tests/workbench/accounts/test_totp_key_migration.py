"""Migration 0008e seals the TOTP secrets stored in clear with the key the app uses; it stops,
changing no row, when a stored secret is not base32 or was sealed with another key."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import text

from tests.workbench.accounts.test_login_totp import SECRET
from workbench import settings as workbench_settings
from workbench.services.accounts import totp_secrets

MIGRATIONS = str(Path(__file__).resolve().parents[3] / "migrations")
REVISION = "0008e"


def _revision_before() -> str:
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return ScriptDirectory.from_config(config).get_revision(REVISION).down_revision


@pytest.fixture(autouse=True)
def keep_logging():
    """Alembic's env.py applies alembic.ini's logging config, which disables every other logger."""
    loggers = {
        name: logger.disabled
        for name, logger in logging.root.manager.loggerDict.items()
        if isinstance(logger, logging.Logger)
    }
    handlers, level = logging.root.handlers[:], logging.root.level
    yield
    for name, disabled in loggers.items():
        logging.getLogger(name).disabled = disabled
    logging.root.handlers[:] = handlers
    logging.root.setLevel(level)


@pytest.fixture
def empty_app(backend, request, tmp_path, redis_server):
    from tests.support.apps import test_config
    from workbench import create_app
    from workbench.extensions import db

    if backend == "postgresql":
        url = request.getfixturevalue("pg_cluster").create_database("totp_key_migration")
    else:
        url = f"sqlite:///{tmp_path / 'migrated.db'}"
    app = create_app(test_config(url, tmp_path / "instance", redis_server.url))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


def _migrate(app, revision: str, *, down: bool = False) -> None:
    config = app.extensions["migrate"].migrate.get_config(MIGRATIONS)
    (command.downgrade if down else command.upgrade)(config, revision)


def _secrets(app) -> dict:
    from workbench.extensions import db

    with db.engine.connect() as connection:
        return dict(connection.execute(text("SELECT username, totp_secret FROM users ORDER BY id")).all())


def _set(app, username: str, value: str | None) -> None:
    from workbench.extensions import db

    with db.engine.begin() as connection:
        connection.execute(
            text("UPDATE users SET totp_secret = :value WHERE username = :name"), {"value": value, "name": username}
        )


def test_the_migration_seals_plain_secrets_and_stops_on_rows_it_cannot_seal(empty_app):
    from workbench.extensions import db

    app = empty_app
    before_revision = _revision_before()
    _migrate(app, before_revision)
    rows = [
        ("ana", " ".join([SECRET.lower()[:16], SECRET.lower()[16:]])),  # as an app might have shown it
        ("ben", "not base32!"),
        ("carl", None),
    ]
    with db.engine.begin() as connection:
        for username, secret in rows:
            connection.execute(
                text(
                    "INSERT INTO users (username, password_hash, role, active, created_at, totp_secret, totp_enabled_at) "
                    "VALUES (:name, 'x', 'moderator', :yes, CURRENT_TIMESTAMP, :secret, CURRENT_TIMESTAMP)"
                ),
                {"name": username, "secret": secret, "yes": True},
            )
    before = _secrets(app)

    with pytest.raises(CommandError) as refused:
        _migrate(app, REVISION)
    message = str(refused.value)
    assert "nothing changed" in message and workbench_settings.of(app).totp_key_file in message
    assert "user 2: the stored TOTP secret is not a base32 secret" in message and "user 1" not in message
    assert _secrets(app) == before

    _set(app, "ben", None)
    _migrate(app, REVISION)
    key = totp_secrets.read_key_file(workbench_settings.of(app).totp_key_file)
    stored = _secrets(app)
    assert stored["ana"].startswith("v1:") and SECRET not in stored["ana"].upper()
    assert totp_secrets.unseal(key, stored["ana"], totp_secrets.user_context(1)) == SECRET
    assert stored["carl"] is None

    # Run again over rows already sealed (say, after restoring the version table): those sealed
    # with this key are left alone; one sealed with another key stops it.
    config = app.extensions["migrate"].migrate.get_config(MIGRATIONS)
    command.stamp(config, before_revision)
    other_key = totp_secrets.TotpKey(bytes(range(32)))
    _set(app, "carl", totp_secrets.seal(other_key, SECRET, totp_secrets.user_context(3)))
    with pytest.raises(CommandError, match="user 3: the stored TOTP secret was encrypted with another key"):
        _migrate(app, REVISION)
    _set(app, "carl", None)
    _migrate(app, REVISION)
    assert _secrets(app) == stored

    _migrate(app, before_revision, down=True)
    assert _secrets(app)["ana"] == SECRET

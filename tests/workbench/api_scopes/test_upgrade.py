"""The scopes migration on a database with data: keys made before scopes keep items, reports,
appeals and webhooks and get no bank scope; banks become private, with no owner (they go on
matching every platform's items)."""

from __future__ import annotations

import os

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, text

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "migrations")
REVISION = "0008a"


def _previous_revision() -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return ScriptDirectory.from_config(config).get_revision(REVISION).down_revision


def _upgrade_with_data(url: str, tmp_path) -> tuple[list, list]:
    from tests.support.apps import test_config
    from workbench import create_app
    from workbench.extensions import db

    app = create_app(test_config(url, tmp_path / "instance", "unix:///nonexistent"))
    engine = create_engine(url)
    try:
        with app.app_context():
            upgrade(directory=MIGRATIONS, revision=_previous_revision())
            with engine.begin() as connection:
                connection.execute(
                    text(
                        "INSERT INTO api_clients (id, name, key_prefix, key_hash, created_at) "
                        "VALUES (1, 'old-platform', 'abc', 'h', '2026-01-01')"
                    )
                )
                connection.execute(
                    text(
                        "INSERT INTO hash_banks (id, name, description, kind, enabled, pdq_threshold, phash_threshold, "
                        "dhash_threshold, created_at, updated_at) VALUES (1, 'old-list', '', 'csam', true, 31, 8, 8, "
                        "'2026-01-01', '2026-01-01')"
                    )
                )
                connection.execute(
                    text(
                        "INSERT INTO bank_entries (id, bank_id, algorithm, value, note, source, "
                        "added_by, added_at) VALUES (1, 1, 'md5', 'x', '', '', '', '2026-01-01')"
                    )
                )
            upgrade(directory=MIGRATIONS, revision=REVISION)
            db.engine.dispose()
        with engine.connect() as connection:
            return (
                connection.execute(text("SELECT name, scopes FROM api_clients")).all(),
                connection.execute(text("SELECT name, visibility, owner_client_id FROM hash_banks")).all(),
            )
    finally:
        engine.dispose()


@pytest.mark.slow
def test_existing_keys_get_no_bank_scope_and_existing_banks_become_private_on_sqlite(tmp_path):
    clients, banks = _upgrade_with_data(f"sqlite:///{tmp_path / 'old.db'}", tmp_path)
    assert clients == [("old-platform", "items reports appeals webhooks")]
    assert banks == [("old-list", "private", None)]


@pytest.mark.slow
def test_existing_keys_get_no_bank_scope_and_existing_banks_become_private_on_postgresql(tmp_path, pg_cluster):
    clients, banks = _upgrade_with_data(pg_cluster.create_database("scopes_upgrade"), tmp_path)
    assert clients == [("old-platform", "items reports appeals webhooks")]
    assert banks == [("old-list", "private", None)]

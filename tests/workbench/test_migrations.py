"""Alembic has one head, and the migrations build exactly the schema the models describe."""

from __future__ import annotations

import os

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import upgrade
from sqlalchemy import create_engine

import workbench.models  # noqa: F401  (registers every table)
from workbench import create_app
from workbench.extensions import db

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "migrations")


def test_single_head():
    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    heads = ScriptDirectory.from_config(config).get_heads()
    assert len(heads) == 1, f"several Alembic heads: {heads}"


def _migrated_diff(url: str, tmp_path) -> list:
    from tests.support.apps import test_config

    app = create_app(test_config(url, tmp_path / "instance", "unix:///nonexistent"))
    with app.app_context():
        upgrade(directory=MIGRATIONS)
        engine = create_engine(url)
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            diff = compare_metadata(context, db.metadata)
        engine.dispose()
        db.engine.dispose()
    return diff


def test_migrations_match_models_on_sqlite(tmp_path):
    assert _migrated_diff(f"sqlite:///{tmp_path / 'migrated.db'}", tmp_path) == []


def test_migrations_match_models_on_postgresql(tmp_path, pg_cluster):
    assert _migrated_diff(pg_cluster.create_database("migrations_check"), tmp_path) == []

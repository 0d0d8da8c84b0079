"""Migration 0008c, run for real on a database at revision 0007 with rows of two platforms whose
user "42" shared one pseudonym: it splits them into two per-platform pseudonyms (the ones ingest
now computes), records old -> new per platform, leaves the audit log alone so the chain still
verifies, and refuses to run with a pseudonym key the app generated just now."""

from __future__ import annotations

import itertools
import json
import os
from datetime import UTC, datetime

import pytest
from flask_migrate import upgrade
from sqlalchemy import create_engine, inspect, text

from workbench import create_app
from workbench.extensions import db
from workbench.services.privacy.pseudonyms import legacy_pseudonym, pseudonymise

MIGRATIONS = os.path.join(os.path.dirname(__file__), "..", "..", "..", "migrations")
KEY = "the-key-that-made-the-old-pseudonyms"


def _revision_before(revision: str) -> str:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", MIGRATIONS)
    return ScriptDirectory.from_config(config).get_revision(revision).down_revision


BEFORE_REKEY = _revision_before("0008c")
_databases = itertools.count(1)


@pytest.fixture(params=("sqlite", "postgresql"))
def database_url(request, tmp_path):
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'at-0007.db'}"
    return request.getfixturevalue("pg_cluster").create_database(f"rekey_{os.getpid()}_{next(_databases)}")


def make_app(url: str, instance, **overrides):
    from tests.support.apps import test_config

    return create_app(
        test_config(url, instance, "unix:///nonexistent", **{"WORKBENCH_PSEUDONYM_KEY": KEY, **overrides})
    )


def seed_at_0007(app) -> dict:
    """Two platforms, user "42" on both (one old pseudonym), as author, reporter and complainant;
    an erased item; two chained audit events, one naming the old pseudonym (raw rows: the app's
    audit code may expect tables of later revisions)."""
    old, other = legacy_pseudonym(KEY, "42"), legacy_pseudonym(KEY, "7")
    now = datetime(2026, 1, 5, 12, 0, tzinfo=UTC).isoformat()
    rows = [
        "INSERT INTO api_clients (id, name, key_prefix, key_hash, created_at) VALUES "
        "(1, 'platform-a', 'aaaa', 'x', :now), (2, 'platform-b', 'bbbb', 'y', :now)",
        "INSERT INTO items (id, client_id, external_id, kind, author_pseudonym, country, status, attempts, "
        "created_at, updated_at) VALUES "
        "(1, 1, 'a-1', 'text', :old, 'DE', 'processed', 0, :now, :now), "
        "(2, 2, 'b-1', 'text', :old, 'DE', 'processed', 0, :now, :now), "
        "(3, 1, 'a-2', 'text', :old, 'DE', 'processed', 0, :now, :now), "
        "(4, 1, 'a-3', 'text', :other, 'DE', 'processed', 0, :now, :now), "
        "(5, 2, 'b-2', 'text', 'erased', 'DE', 'processed', 0, :now, :now)",
        "INSERT INTO reports (id, item_id, client_id, source, category, reporter_pseudonym, received_at) VALUES "
        "(1, 4, 1, 'user', 'spam', :old, :now), (2, 2, 2, 'user', 'spam', :old, :now), "
        "(3, 1, 1, 'user', 'spam', NULL, :now)",
        "INSERT INTO decisions (id, item_id, automated, outcome, actions, visibility, rule_jurisdiction, "
        "rule_pack_version, rule_id, decided_by, decided_at) VALUES "
        "(1, 1, true, 'remove', '[]', 'removed', 'GLOBAL', 1, 'r', 'system:route', :now), "
        "(2, 2, true, 'remove', '[]', 'removed', 'GLOBAL', 1, 'r', 'system:route', :now)",
        "INSERT INTO appeals (id, client_id, external_id, item_id, decision_id, explanation, complainant_pseudonym, "
        "status, received_at) VALUES (1, 1, 'ap-a', 1, 1, 'x', :old, 'open', :now), "
        "(2, 2, 'ap-b', 2, 2, 'x', :old, 'open', :now)",
    ]
    with app.app_context():
        for statement in rows:
            db.session.execute(text(statement), {"now": now, "old": old, "other": other})
        insert_chained_events(db.session, [{"legacy_author": old, "item": 1}, {"legacy_author": old, "item": 2}])
        db.session.commit()
    return {"old": old, "other": other}


def insert_chained_events(session, payloads: list[dict]) -> None:
    from workbench.audit.verifier import GENESIS, chain_hash

    sqlite = session.get_bind().dialect.name == "sqlite"
    prev = GENESIS
    for seq, payload in enumerate(payloads, start=1):
        at = datetime(2026, 1, 5, 12, 0, seq, 123456, tzinfo=UTC)
        event = {
            "id": seq,
            "occurred_at": at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            "actor_type": "system",
            "actor_id": "tests",
            "action": "item.note",
            "object_type": "item",
            "object_id": str(payload["item"]),
            "payload": json.dumps(payload, sort_keys=True, separators=(",", ":")),
        }
        event_hash = chain_hash(prev, event)
        session.execute(
            text(
                "INSERT INTO audit_events (id, occurred_at, actor_type, actor_id, action, object_type, object_id, "
                "payload, prev_hash, event_hash) VALUES (:id, :at, :actor_type, :actor_id, :action, :object_type, "
                ":object_id, :payload, :prev, :hash)"
            ),
            {**event, "at": at.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else at, "prev": prev, "hash": event_hash},
        )
        prev = event_hash
    session.execute(
        text("UPDATE audit_chain_head SET last_seq = :seq, last_hash = :hash"), {"seq": len(payloads), "hash": prev}
    )


def chain_verifies(app) -> bool:
    from workbench.audit import verifier
    from workbench.audit.checkpoints import iter_event_dicts

    with app.app_context():
        result = verifier.verify(list(iter_event_dicts(db.session)), [], None)
        db.session.rollback()
    return result.ok


def column(app, sql: str) -> list:
    with app.app_context():
        values = [row[0] for row in db.session.execute(text(sql))]
        db.session.rollback()
    return values


@pytest.mark.slow  # runs the migration chain from an empty database
def test_the_migration_splits_a_shared_pseudonym_per_platform_and_the_chain_verifies(database_url, tmp_path):
    app = make_app(database_url, tmp_path / "instance")
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0007")
    seeded = seed_at_0007(app)
    assert chain_verifies(app)
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0008c")

    a, b = pseudonymise(KEY, 1, "42"), pseudonymise(KEY, 2, "42")
    assert a != b and seeded["old"] not in (a, b)
    # Exactly what ingest, reports and appeals compute now for user "42" of each platform.
    assert column(app, "SELECT author_pseudonym FROM items ORDER BY id") == [
        a,
        b,
        a,
        pseudonymise(KEY, 1, "7"),
        "erased",
    ]
    assert column(app, "SELECT reporter_pseudonym FROM reports ORDER BY id") == [a, b, None]
    assert column(app, "SELECT complainant_pseudonym FROM appeals ORDER BY id") == [a, b]
    with app.app_context():
        pairs = {
            tuple(row)
            for row in db.session.execute(text("SELECT client_id, old_pseudonym, new_pseudonym FROM pseudonym_rekeys"))
        }
        db.session.rollback()
    assert pairs == {(1, seeded["old"], a), (2, seeded["old"], b), (1, seeded["other"], pseudonymise(KEY, 1, "7"))}
    # The audit log keeps the old value (an auditor maps it through pseudonym_rekeys) and verifies.
    payloads = [json.loads(p) for p in column(app, "SELECT payload FROM audit_events ORDER BY id")]
    assert [p.get("legacy_author") for p in payloads] == [seeded["old"], seeded["old"]]
    assert chain_verifies(app)
    with app.app_context():
        db.engine.dispose()


@pytest.mark.slow
def test_without_the_old_key_the_migration_stops_and_changes_nothing(database_url, tmp_path, capfd):
    app = make_app(database_url, tmp_path / "instance")
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0007")
    seeded = seed_at_0007(app)
    with app.app_context():
        db.engine.dispose()

    # No key in the environment and none in this instance folder: the app generates one.
    fresh = tmp_path / "fresh-instance"
    keyless = make_app(database_url, fresh, WORKBENCH_PSEUDONYM_KEY="")
    assert (fresh / "pseudonym.key").exists()
    with keyless.app_context():
        upgrade(directory=MIGRATIONS, revision=BEFORE_REKEY)  # the migrations in between need no key
        with pytest.raises(SystemExit):  # Flask-Migrate logs the migration's message and exits 1
            upgrade(directory=MIGRATIONS, revision="0008c")
        assert "restore pseudonym.key from your backup" in capfd.readouterr().err
        db.engine.dispose()
    assert not (fresh / "pseudonym.key").exists()  # or the next run would take it for the real key
    engine = create_engine(database_url)
    try:
        assert "pseudonym_rekeys" not in inspect(engine).get_table_names()
        with engine.connect() as connection:
            assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == BEFORE_REKEY
            stored = connection.execute(text("SELECT author_pseudonym FROM items ORDER BY id")).scalars().all()
    finally:
        engine.dispose()
    assert stored == [seeded["old"], seeded["old"], seeded["old"], seeded["other"], "erased"]


@pytest.mark.slow
def test_the_data_step_pages_through_many_pairs(database_url, tmp_path, monkeypatch):
    """The data step on its own, one pair per page: the keyset paging over (client, pseudonym)
    visits every pair once on both databases."""
    import importlib.util

    from workbench.models import PseudonymRekey

    path = os.path.join(MIGRATIONS, "versions", "0008c_pseudonyms_per_platform_content_purge.py")
    spec = importlib.util.spec_from_file_location("migration_0008c_under_test", path)
    migration = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(migration)
    monkeypatch.setattr(migration, "BATCH", 1)
    app = make_app(database_url, tmp_path / "instance")
    with app.app_context():
        upgrade(directory=MIGRATIONS, revision="0007")
    seeded = seed_at_0007(app)
    with app.app_context():
        PseudonymRekey.__table__.create(db.engine)
        with db.engine.begin() as connection:
            counts = migration.rekey_pseudonyms(connection, KEY)
        db.engine.dispose()
    assert counts == {"pairs": 3, "items": 4, "reports": 2, "appeals": 2}
    assert column(app, "SELECT author_pseudonym FROM items ORDER BY id") == [
        pseudonymise(KEY, 1, "42"),
        pseudonymise(KEY, 2, "42"),
        pseudonymise(KEY, 1, "42"),
        pseudonymise(KEY, 1, "7"),
        "erased",
    ]
    assert seeded["old"] not in column(app, "SELECT reporter_pseudonym FROM reports")

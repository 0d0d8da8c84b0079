"""Building a test app on SQLite or PostgreSQL with a clean database per test.

SQLite: a schema-only template file is copied for each test. PostgreSQL: one database
per test session, emptied with TRUNCATE after each test (faster than re-creating).
"""

from __future__ import annotations

import contextlib
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, text

_sqlite_template: Path | None = None
_pg_url: str | None = None


def _schema_metadata():
    import workbench.models  # noqa: F401  (registers every table)
    from workbench.extensions import db

    return db.metadata


def _sqlite_template_file() -> Path:
    global _sqlite_template
    if _sqlite_template is None:
        path = Path(tempfile.mkdtemp(prefix="wb-sqlite-")) / "template.db"
        engine = create_engine(f"sqlite:///{path}")
        _schema_metadata().create_all(engine)
        engine.dispose()
        _sqlite_template = path
    return _sqlite_template


def _pg_database(cluster) -> str:
    global _pg_url
    if _pg_url is None:
        url = cluster.create_database("workbench_test")
        engine = create_engine(url)
        _schema_metadata().create_all(engine)
        engine.dispose()
        _pg_url = url
    return _pg_url


def truncate_all(engine) -> None:
    tables = ", ".join(f'"{t.name}"' for t in _schema_metadata().sorted_tables)
    from workbench.models.audit import SEED_CHAIN_HEAD

    with engine.begin() as conn:
        # audit_events refuses TRUNCATE by trigger. Replica mode skips ordinary triggers for this
        # transaction only (SET LOCAL); it needs a superuser, which can drop the trigger anyway,
        # so the refusal stands for the app's own role. Only the test reset ever does this.
        conn.execute(text("SET LOCAL session_replication_role = replica"))
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        conn.execute(text(SEED_CHAIN_HEAD))


# API rate limits stay on (every API test goes through the bucket) but far above what a test
# sends; tests/workbench/api/test_rate_limits.py checks the real defaults.
GENEROUS_RATE_LIMITS = {
    f"WORKBENCH_RATE_LIMIT_{kind}_{part}": value
    for kind in ("UPLOADS", "REPORTS", "READS", "WRITES")
    for part, value in (("PER_S", 10_000.0), ("BURST", 1_000_000))
}


def test_config(database_url: str, instance: Path, redis_url: str, **overrides) -> dict:
    config = {
        "TESTING": True,
        "INSTANCE_PATH": str(instance),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "REDIS_URL": redis_url,
        "REDIS_EMBEDDED": False,
        "SECRET_KEY": "test-secret-key",
        "WORKBENCH_PSEUDONYM_KEY": "test-pseudonym-key",
        "WORKBENCH_BLOB_DIR": str(instance / "blobs"),
        "WORKBENCH_RETRY_INTERVALS": [0],  # retries run at once: no scheduler in burst tests
        # The classify stage is off unless a test turns it on (tests/support/classify.py loads
        # the models once per session and drains its batch queue).
        "WORKBENCH_CLASSIFIERS": "",
        # Logins are in many tests: a cheap hash (production keeps scrypt, ~0.2 s per check).
        "WORKBENCH_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
        # The webhook receiver (tests/support/receiver.py) listens on loopback, which the outbound
        # guard refuses by default; tests of the guard itself clear this (tests/workbench/webhooks/).
        "WORKBENCH_OUTBOUND_ALLOW_CIDRS": ("127.0.0.1/32",),
        **GENEROUS_RATE_LIMITS,
    }
    config.update(overrides)
    return config


@contextlib.contextmanager
def make_test_app(backend: str, tmp_path: Path, redis_server, request, **overrides):
    from workbench import create_app
    from workbench.extensions import db, get_redis

    if backend == "postgresql":
        url = _pg_database(request.getfixturevalue("pg_cluster"))
    else:
        url = f"sqlite:///{tmp_path / 'workbench.db'}"
        shutil.copy(_sqlite_template_file(), tmp_path / "workbench.db")
    app = create_app(test_config(url, tmp_path / "instance", redis_server.url, **overrides))
    with app.app_context():
        get_redis().flushdb()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            if backend == "postgresql":
                truncate_all(db.engine)
            db.engine.dispose()

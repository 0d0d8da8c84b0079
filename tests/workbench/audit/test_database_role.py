"""PostgreSQL keeps the audit log append-only: a trigger refuses TRUNCATE (next to UPDATE and
DELETE), and the app, run under a role that does not own the tables and has exactly the grants
`flask audit grants` prints (docs/operations.md), can append but cannot rewrite, delete, truncate
or un-trigger the log."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import DBAPIError

from tests.support.api import ApiHelper
from tests.support.apps import test_config as app_config
from tests.support.apps import truncate_all
from tests.support.factories import make_api_key, text_item
from workbench import audit, create_app
from workbench.audit import Actor
from workbench.extensions import db
from workbench.models.audit import AuditEvent

pytestmark = pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
APP_ROLE = "workbench_app_role_test"
INSUFFICIENT_PRIVILEGE = "42501"  # "permission denied" and "must be owner" alike


def event_count(app) -> int:
    with app.app_context():
        try:
            return db.session.scalar(select(func.count()).select_from(AuditEvent))
        finally:
            db.session.rollback()


def test_truncate_is_refused_by_the_trigger(app):
    with app.app_context():
        audit.record(db.session, Actor.system("tests"), "thing.done", "thing", 1)
        db.session.commit()
        for statement in ("TRUNCATE audit_events", "TRUNCATE audit_events, audit_chain_head RESTART IDENTITY CASCADE"):
            with pytest.raises(DBAPIError, match=r"audit_events is append-only \(TRUNCATE refused\)"):
                with db.engine.begin() as conn:
                    conn.execute(text(statement))
    assert event_count(app) == 1
    with app.app_context():  # the test suite's reset still works, and leaves the trigger on
        truncate_all(db.engine)
        with db.engine.connect() as conn:
            assert (
                conn.scalar(text("SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_events_no_truncate'")) == "O"
            )
    assert event_count(app) == 0


def refused(engine, statement: str) -> bool:
    try:
        with engine.begin() as conn:
            conn.execute(text(statement))
    except DBAPIError as exc:
        return getattr(exc.orig, "sqlstate", None) == INSUFFICIENT_PRIVILEGE
    return False


def test_an_app_role_that_does_not_own_the_audit_tables(app, tmp_path, redis_server):
    grants = app.test_cli_runner().invoke(args=["audit", "grants", APP_ROLE])
    assert grants.exit_code == 0, grants.output
    with app.app_context():
        owner_url = db.engine.url
        with db.engine.begin() as conn:
            conn.execute(text(f'DROP ROLE IF EXISTS "{APP_ROLE}"'))
            conn.execute(text(f'CREATE ROLE "{APP_ROLE}" LOGIN'))
            for statement in grants.output.strip().rstrip(";").split(";\n"):
                conn.execute(text(statement))
    role_url = owner_url.set(username=APP_ROLE).render_as_string(hide_password=False)
    role_app = create_app(app_config(role_url, tmp_path / "role-instance", redis_server.url))
    role_engine = create_engine(role_url)
    try:
        # The app works under the role: it appends (an API key, an item), signs a checkpoint
        # (tree nodes included) and verifies the log.
        api = ApiHelper(role_app.test_client(), make_api_key(role_app))
        assert api.post_json("/items", text_item("as-app-role")).status_code == 201
        with role_app.app_context():
            audit.record_many(
                db.session, Actor.system("tests"), "thing.done", "thing", ((n, {"n": n}) for n in range(20))
            )
            db.session.commit()
        runner = role_app.test_cli_runner()
        signed = runner.invoke(args=["audit", "checkpoint"])
        assert signed.exit_code == 0 and "checkpoint at" in signed.output, signed.output
        verified = runner.invoke(args=["audit", "verify"])
        assert verified.exit_code == 0 and "OK:" in verified.output, verified.output
        events = event_count(app)
        assert events >= 22

        for statement in (
            "UPDATE audit_events SET action = 'forged'",
            "DELETE FROM audit_events",
            "TRUNCATE audit_events",
            "DROP TRIGGER audit_events_append_only ON audit_events",
            "DROP TRIGGER audit_events_no_truncate ON audit_events",
            "ALTER TABLE audit_events DISABLE TRIGGER ALL",
            "DROP TABLE audit_events",
            "UPDATE audit_checkpoints SET root_hash = repeat('0', 64)",
            "DELETE FROM audit_checkpoints",
            "TRUNCATE audit_checkpoints",
            "UPDATE audit_tree_nodes SET hash = repeat('0', 64)",
            "DELETE FROM audit_tree_nodes",
            "DELETE FROM audit_chain_head",
        ):
            assert refused(role_engine, statement), statement
        assert event_count(app) == events
        with role_app.app_context():
            assert runner.invoke(args=["audit", "verify"]).exit_code == 0
    finally:
        role_engine.dispose()
        with role_app.app_context():
            db.session.remove()
            db.engine.dispose()
        with app.app_context(), db.engine.begin() as conn:
            conn.execute(text(f'DROP OWNED BY "{APP_ROLE}"'))
            conn.execute(text(f'DROP ROLE "{APP_ROLE}"'))

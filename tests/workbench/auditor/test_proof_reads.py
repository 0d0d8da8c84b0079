"""proof.json reads O(log n) rows: the statements and the rows the app fetches from the database,
counted at the driver, grow by a constant from a log of 1,000 events to one of 4,000 (they grew
with the log when the proof streamed every event), and every proof is RFC 6962's, byte for byte."""

from __future__ import annotations

import sqlite3

import psycopg
import pytest
from sqlalchemy import func, select

from workbench import audit
from workbench.audit import Actor, verifier
from workbench.audit.checkpoints import create_checkpoint, iter_event_dicts
from workbench.audit.keys import signer_key
from workbench.audit.tree import BLOCK
from workbench.extensions import db
from workbench.models.audit import AuditEvent

COUNTS = {"statements": 0, "rows": 0}


class _Counting:
    """Counts each statement executed and each row fetched, whichever way it is fetched."""

    def execute(self, *args, **kwargs):
        COUNTS["statements"] += 1
        return super().execute(*args, **kwargs)

    def executemany(self, *args, **kwargs):
        COUNTS["statements"] += 1
        return super().executemany(*args, **kwargs)

    def fetchone(self):
        row = super().fetchone()
        COUNTS["rows"] += row is not None
        return row

    def fetchmany(self, *args, **kwargs):
        rows = super().fetchmany(*args, **kwargs)
        COUNTS["rows"] += len(rows)
        return rows

    def fetchall(self):
        rows = super().fetchall()
        COUNTS["rows"] += len(rows)
        return rows


class CountingSqliteCursor(_Counting, sqlite3.Cursor):
    def __next__(self):
        row = super().__next__()
        COUNTS["rows"] += 1
        return row


class CountingSqliteConnection(sqlite3.Connection):
    def cursor(self, factory=CountingSqliteCursor):
        return super().cursor(factory)


class CountingPgCursor(_Counting, psycopg.Cursor):
    def __iter__(self):
        for row in super().__iter__():
            COUNTS["rows"] += 1
            yield row


@pytest.fixture
def counted_app(backend, request, tmp_path, redis_server):
    from tests.support.apps import make_test_app

    connect_args = (
        {"factory": CountingSqliteConnection} if backend == "sqlite" else {"cursor_factory": CountingPgCursor}
    )
    with make_test_app(
        backend,
        tmp_path,
        redis_server,
        request,
        SQLALCHEMY_ENGINE_OPTIONS={"pool_pre_ping": True, "connect_args": connect_args},
    ) as app:
        yield app


def grow_log_to(app, size: int) -> None:
    """Exactly `size` events, and a checkpoint over them."""
    with app.app_context():
        have = db.session.scalar(select(func.max(AuditEvent.id))) or 0
        audit.record_many(
            db.session, Actor.system("tests"), "thing.done", "thing", ((n, {"n": n}) for n in range(have, size))
        )
        db.session.commit()
        assert create_checkpoint(db.session, signer_key()).tree_size == size


def proof_costs(app, client, event_ids) -> list[dict]:
    with app.app_context():
        leaves = [verifier.leaf_hash(e["event_hash"]) for e in iter_event_dicts(db.session)]
        db.session.rollback()
    costs = []
    for event_id in event_ids:
        COUNTS.update(statements=0, rows=0)
        response = client.get(f"/audit/events/{event_id}/proof.json")
        cost = dict(COUNTS)
        assert response.status_code == 200
        document = response.get_json()
        assert document["verifies"] is True and document["checkpoint"]["tree_size"] == len(leaves)
        expected = verifier.inclusion_proof(leaves, event_id - 1)
        assert document["inclusion_proof"] == [node.hex() for node in expected]
        costs.append(cost)
    return costs


def test_proof_reads_grow_by_a_constant_not_with_the_log(counted_app, backend):
    from tests.support.auth import AuthHelper

    app = counted_app
    client = app.test_client()
    AuthHelper(client, app).login("auditor")
    grow_log_to(app, 1000)
    small = proof_costs(app, client, (1, 333, 999, 1000))
    grow_log_to(app, 4000)
    big = proof_costs(app, client, (1, 1333, 3999, 4000))

    # At most one query for the stored nodes and two for events (the leaf's block, the log's
    # unfinished last block), whatever the size.
    assert max(c["statements"] for c in big) <= max(c["statements"] for c in small), (small, big)
    most_small, most_big = max(c["rows"] for c in small), max(c["rows"] for c in big)
    # 4x the events: two more tree levels (a stored node each, on either side of the path) and a
    # different unfinished last block (under BLOCK events) -- not 4x the rows.
    assert most_big <= most_small + BLOCK + 4, (small, big)
    assert most_big < 100, big

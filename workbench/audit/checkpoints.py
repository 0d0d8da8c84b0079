"""Signed checkpoints of the audit log, and verifying the log against them.

Verification reads the rows with a plain DB-API cursor, only the columns it hashes, with
the timestamp already in its hashed text form (SQL does the formatting), and checks them in
chunks with verifier.check_chunk — on worker processes, each with its own
connection, when the log is large and the database is a file or a server.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from workbench.audit import tree, verifier
from workbench.audit.keys import key_id, public_key_pem
from workbench.audit.log import timestamp_text
from workbench.models.audit import AuditCheckpoint, AuditEvent
from workbench.models.base import utcnow

logger = logging.getLogger(__name__)
STREAM_CHUNK = 10_000  # rows per fetch when streaming events (export, checkpoints): flat memory
_COLUMNS = "actor_type, actor_id, action, object_type, object_id, payload, prev_hash, event_hash"
# occurred_at as timestamp_text() wrote it when the event was hashed. SQLite holds SQLAlchemy's
# text form, "YYYY-MM-DD HH:MM:SS.ffffff": anything else stored there cannot give the hashed
# text, so it is (rightly) reported as an edit.
_SQLITE_TIME = "substr(occurred_at, 1, 10) || 'T' || substr(occurred_at, 12) || 'Z'"
_PG_TIME = "to_char(occurred_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
ROWS_SQL = {
    "sqlite": f"SELECT id, {_SQLITE_TIME}, {_COLUMNS} FROM audit_events WHERE id >= ? ORDER BY id LIMIT ?",
    "postgresql": f"SELECT id, {_PG_TIME}, {_COLUMNS} FROM audit_events WHERE id >= %s ORDER BY id LIMIT %s",
}


def _fetch_rows(dbapi_connection, dialect_name: str, first_id: int, limit: int) -> list[tuple]:
    """Rows as verifier.ROW_FIELDS tuples for events first_id, first_id+1, ..."""
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute(ROWS_SQL[dialect_name], (first_id, limit))
        return cursor.fetchall()
    finally:
        cursor.close()


def iter_event_dicts(session: Session, *, through: int | None = None) -> Iterator[dict]:
    """Every event in chain order as the verifier reads it, streamed in chunks (flat memory)."""
    connection = session.connection()
    dbapi_connection, dialect = connection.connection.driver_connection, connection.dialect.name
    last_id = 0
    while True:
        limit = STREAM_CHUNK if through is None else min(STREAM_CHUNK, through - last_id)
        rows = _fetch_rows(dbapi_connection, dialect, last_id + 1, limit) if limit > 0 else []
        for row in rows:
            yield dict(zip(verifier.ROW_FIELDS, row))
        if len(rows) < limit or not rows:
            return
        last_id = rows[-1][0]


def checkpoint_dict(checkpoint: AuditCheckpoint) -> dict:
    return {
        "tree_size": checkpoint.tree_size,
        "root_hash": checkpoint.root_hash,
        "head_hash": checkpoint.head_hash,
        "created_at": checkpoint.created_at,
        "key_id": checkpoint.key_id,
        "signature": checkpoint.signature,
    }


def create_checkpoint(session: Session, signing_key) -> AuditCheckpoint | None:
    """Sign the tree head over every event committed so far (None if nothing is new, or if the
    log is missing an event: `flask audit verify` names it). First stores the tree nodes of the
    new events (tree.py), so a checkpoint reads the new events and O(log n) nodes, not the log."""
    latest = session.scalar(select(AuditCheckpoint).order_by(AuditCheckpoint.tree_size.desc()).limit(1))
    head_id = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0
    connection = session.connection()
    try:
        covered = tree.extend_nodes(connection, head_id)  # also builds nodes a log from before them lacks
        if head_id == 0 or (latest is not None and latest.tree_size >= head_id):
            session.commit()
            return None
        if covered < head_id - head_id % tree.BLOCK:
            raise tree.TreeDataMissing(f"one of events {covered + 1}..{covered + tree.BLOCK} is missing")
        root, head_hash = tree.tree_head(connection, head_id)
        fields = {
            "tree_size": head_id,
            "root_hash": root.hex(),
            "head_hash": head_hash,
            "created_at": timestamp_text(utcnow()),
        }
        signature = signing_key.sign(verifier.checkpoint_message(fields)).hex()
        checkpoint = AuditCheckpoint(key_id=key_id(signing_key), signature=signature, **fields)
        session.add(checkpoint)
        session.commit()
        return checkpoint
    except tree.TreeDataMissing as exc:
        session.commit()  # the nodes before the gap are still right
        # A missing event: `flask audit verify` names it. Damaged nodes (they are derived data):
        # the owner role deletes them all and the next checkpoint rebuilds them.
        logger.warning("audit checkpoint not signed: %s (run `flask audit verify`)", exc)
        return None
    except IntegrityError:  # another signer stored the same nodes or checkpoint first
        session.rollback()
        return None


# --- Verification ---------------------------------------------------------------------------

_worker_connection = None


def _worker_chunk(task: tuple) -> verifier.ChunkResult:
    """In a worker process: fetch and check one chunk over the worker's own connection."""
    global _worker_connection
    dialect, dsn, first_id, limit, sizes = task
    if _worker_connection is None:
        if dialect == "sqlite":
            import sqlite3

            _worker_connection = sqlite3.connect(dsn)
        else:
            import psycopg

            _worker_connection = psycopg.connect(dsn, autocommit=True)
    return verifier.check_chunk(_fetch_rows(_worker_connection, dialect, first_id, limit), first_id, sizes)


def _worker_dsn(connection) -> str | None:
    url = connection.engine.url
    if connection.dialect.name == "sqlite":
        return url.database if url.database and url.database != ":memory:" and not url.query else None
    if connection.dialect.name == "postgresql" and connection.dialect.driver == "psycopg":
        return url.set(drivername="postgresql").render_as_string(hide_password=False)
    return None


def verify_log(
    session: Session, signing_key, *, processes: int | None = None, chunk_size: int = verifier.CHUNK
) -> verifier.Verification:
    """Verify every event and checkpoint. Large logs are checked on `processes` worker processes
    (default: one per core); small ones, or processes=1, in this process and transaction."""
    checkpoints = [checkpoint_dict(c) for c in session.scalars(select(AuditCheckpoint))]
    head_id = session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) or 0
    connection = session.connection()
    dialect, dsn = connection.dialect.name, _worker_dsn(connection)
    if processes is None:
        processes = verifier.default_processes() if head_id >= verifier.PARALLEL_FROM else 1
    chunks = max(1, -(-head_id // chunk_size))

    def limit(index: int) -> int:
        # Through the head seen now: later appends are for the next run.
        return chunk_size if index < chunks - 1 else head_id - index * chunk_size

    def sizes(index: int) -> list[int]:
        return verifier.checkpoint_sizes_in(checkpoints, index, chunk_size)

    if processes > 1 and dsn is not None and chunks > 1:
        tasks = ((dialect, dsn, index * chunk_size + 1, limit(index), sizes(index)) for index in range(chunks))
        results = verifier.map_in_order(_worker_chunk, tasks, processes)
    else:
        dbapi_connection = connection.connection.driver_connection
        results = (
            verifier.check_chunk(
                _fetch_rows(dbapi_connection, dialect, index * chunk_size + 1, limit(index)),
                index * chunk_size + 1,
                sizes(index),
            )
            for index in range(chunks)
        )
    return verifier.join_chunks(results, checkpoints, public_key_pem(signing_key), chunk_size)

"""The bank matcher a worker process keeps in memory, current through the change feed.

Built once (at worker start, or at the first match) from the database: one exact
`HammingIndex` per perceptual algorithm holding every enabled entry of every bank, keyed
by entry id. After that it never rebuilds: it polls `bank_changes` for rows past the last
one it applied, at most `poll_interval_s` before any match and at once when a Redis message
or a commit in this process says something changed, and reloads only what those rows name.

The index answers "which entries lie within the largest enabled threshold"; the hash stage
then confirms each candidate against the database (entry still enabled, bank enabled,
distance within *that bank's* threshold), so a disable is honoured even before the feed
has delivered it. MD5 and SHA-256 are plain database lookups and need no memory at all.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from array import array
from datetime import datetime

import numpy as np
from sqlalchemy import create_engine, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from classifiers.hashing.distance import HEX_LENGTHS
from classifiers.hashing.index import HammingIndex
from workbench.models import BankChange, BankChangeOp, BankEntry, HashBank
from workbench.models.base import utcnow
from workbench.services.banks.feed import latest_change_id, register_local_listener

log = logging.getLogger(__name__)

PERCEPTUAL = ("pdq", "phash", "dhash")
_FEED_BATCH = 1000
_LOAD_BATCH = 50_000
_IN_BATCH = 500


def read_engine(engine: Engine) -> Engine:
    """An engine for the matcher's reads.

    SQLite: the app's engine opens every transaction with BEGIN IMMEDIATE (the write
    lock), which a poll every half second must not take; a separate plain engine reads in
    WAL mode beside the writers. PostgreSQL: the app's own pool.
    """
    if engine.dialect.name != "sqlite":
        return engine
    own = create_engine(engine.url, connect_args={"timeout": 30, "check_same_thread": False})

    @event.listens_for(own, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.execute("PRAGMA busy_timeout=30000")

    return own


class BankMatcher:
    def __init__(self, engine: Engine, poll_interval_s: float = 0.5):
        self._engine = read_engine(engine)
        if self._engine is not engine:
            weakref.finalize(self, self._engine.dispose)
        self.poll_interval_s = poll_interval_s
        self._indexes: dict[str, HammingIndex] = {}
        self._max_thresholds: dict[str, int] = {}
        self._lock = threading.RLock()
        self._stale = True
        self._last_poll = float("-inf")
        self.position = 0  # id of the last change applied
        self.built = False
        self.builds = 0
        self.built_at: datetime | None = None
        self.polled_at: datetime | None = None
        self.changes_applied = 0
        self.last_change_id: int | None = None
        self.last_change_lag_s: float | None = None  # commit of a change -> applied here
        register_local_listener(self)

    # -- freshness ---------------------------------------------------------
    def mark_stale(self) -> None:
        """Poll before the next match (a commit in this process, or a Redis nudge)."""
        self._stale = True

    def ensure_fresh(self) -> None:
        if not self.built or self._stale or time.monotonic() - self._last_poll >= self.poll_interval_s:
            self.refresh()

    def refresh(self, *, force: bool = False) -> int:
        """Build if needed, then apply every change past `position`; returns how many."""
        with self._lock:
            if not self.built:
                self.build()
                return 0
            if not force and not self._stale and time.monotonic() - self._last_poll < self.poll_interval_s:
                return 0  # another thread polled while this one waited for the lock
            self._stale = False  # a nudge arriving from here on asks for another poll
            try:
                with Session(self._engine) as session:
                    applied = self._apply_pending(session)
            except Exception:
                self._stale = True
                raise
            self._last_poll = time.monotonic()
            self.polled_at = utcnow()
            return applied

    # -- building ----------------------------------------------------------
    def build(self) -> None:
        started = time.perf_counter()
        with self._lock, Session(self._engine) as session:
            self._stale = False
            # The position first: a change committed while loading is replayed, harmlessly.
            position = latest_change_id(session)
            thresholds = self._load_thresholds(session)
            indexes = self._load_indexes(session)
            self._indexes, self._max_thresholds, self.position = indexes, thresholds, position
            self.built = True
            self._last_poll = time.monotonic()
            self.builds += 1
            self.built_at = self.polled_at = utcnow()
        log.info(
            "bank matcher built in %.2fs at change %s: %s",
            time.perf_counter() - started,
            position,
            {algorithm: len(index) for algorithm, index in indexes.items()},
        )

    @staticmethod
    def _load_thresholds(session: Session) -> dict[str, int]:
        banks = session.scalars(select(HashBank).where(HashBank.enabled.is_(True))).all()
        return {algorithm: max((bank.threshold(algorithm) for bank in banks), default=-1) for algorithm in PERCEPTUAL}

    @staticmethod
    def _load_indexes(session: Session) -> dict[str, HammingIndex]:
        """One pass over the entries in id order (a plain table scan: on SQLite the
        algorithm index plus a sort of every row is several times slower), streamed."""
        ids = {algorithm: array("q") for algorithm in PERCEPTUAL}
        raw = {algorithm: bytearray() for algorithm in PERCEPTUAL}
        result = (
            session.connection()
            .execution_options(stream_results=True, yield_per=_LOAD_BATCH)
            .execute(
                select(BankEntry.id, BankEntry.algorithm, BankEntry.value)
                .where(BankEntry.disabled_at.is_(None))
                .order_by(BankEntry.id)
            )
        )
        for partition in result.partitions():
            for entry_id, algorithm, value in partition:
                if algorithm in raw:  # exact hashes are looked up in the database instead
                    ids[algorithm].append(entry_id)
                    raw[algorithm] += bytes.fromhex(value)
        indexes = {}
        for algorithm in PERCEPTUAL:
            index = HammingIndex.for_algorithm(algorithm)
            nbytes = HEX_LENGTHS[algorithm] // 2
            index.build(
                np.frombuffer(ids[algorithm], dtype=np.int64),
                np.frombuffer(bytes(raw[algorithm]), dtype=np.uint8).reshape(-1, nbytes),
            )
            indexes[algorithm] = index
        return indexes

    # -- applying the feed -------------------------------------------------
    def _apply_pending(self, session: Session) -> int:
        applied = 0
        while True:
            changes = session.execute(
                select(
                    BankChange.id,
                    BankChange.bank_id,
                    BankChange.op,
                    BankChange.algorithm,
                    BankChange.entry_lo,
                    BankChange.entry_hi,
                    BankChange.created_at,
                )
                .where(BankChange.id > self.position)
                .order_by(BankChange.id)
                .limit(_FEED_BATCH)
            ).all()
            if not changes:
                return applied
            self._apply(session, changes)
            newest = changes[-1]
            self.position = newest.id
            applied += len(changes)
            self.changes_applied += len(changes)
            self.last_change_id = newest.id
            self.last_change_lag_s = round((utcnow() - newest.created_at).total_seconds(), 4)
            if len(changes) < _FEED_BATCH:
                return applied

    def _apply(self, session: Session, changes) -> None:
        if any(change.op == BankChangeOp.BANK_CHANGED for change in changes):
            self._max_thresholds = self._load_thresholds(session)
        single = {
            change.entry_lo: change.algorithm
            for change in changes
            if change.op == BankChangeOp.ENTRY_CHANGED and change.entry_lo is not None
        }
        ids = list(single)
        for start in range(0, len(ids), _IN_BATCH):
            batch = ids[start : start + _IN_BATCH]
            rows = session.execute(
                select(BankEntry.id, BankEntry.algorithm, BankEntry.value, BankEntry.disabled_at).where(
                    BankEntry.id.in_(batch)
                )
            ).all()
            self._reconcile(rows)
            for row in rows:  # SQLite may reuse a removed entry's id for another algorithm
                if single[row.id] and single[row.id] != row.algorithm and single[row.id] in self._indexes:
                    self._indexes[single[row.id]].remove(row.id)
            for gone in set(batch) - {row.id for row in rows}:  # removed entries
                for algorithm in [single[gone]] if single[gone] else PERCEPTUAL:
                    if algorithm in self._indexes:
                        self._indexes[algorithm].remove(gone)
        for change in changes:
            if change.op == BankChangeOp.ENTRIES_ADDED and change.entry_lo is not None:
                rows = session.execute(
                    select(BankEntry.id, BankEntry.algorithm, BankEntry.value, BankEntry.disabled_at).where(
                        BankEntry.bank_id == change.bank_id, BankEntry.id.between(change.entry_lo, change.entry_hi)
                    )
                ).all()
                self._reconcile(rows)

    def _reconcile(self, rows) -> None:
        """Make the index hold exactly the enabled ones among `rows` (current database state)."""
        for row in rows:
            index = self._indexes.get(row.algorithm)
            if index is None:
                continue  # exact hashes are looked up in the database
            if row.disabled_at is None:
                if index.get(row.id) != row.value:  # a replayed change adds nothing twice
                    index.add(row.id, row.value)
            else:
                index.remove(row.id)

    # -- querying ----------------------------------------------------------
    def candidates(self, algorithm: str, value: str) -> list[tuple[int, int]]:
        """(entry id, distance) of every indexed entry within the largest enabled threshold."""
        index = self._indexes.get(algorithm)
        limit = self._max_thresholds.get(algorithm, -1)
        if index is None or limit < 0:
            return []
        return index.query(value, limit)

    def status(self) -> dict:
        return {
            "position": self.position,
            "builds": self.builds,
            "built_at": self.built_at.isoformat() if self.built_at else None,
            "polled_at": self.polled_at.isoformat() if self.polled_at else None,
            "poll_interval_s": self.poll_interval_s,
            "changes_applied": self.changes_applied,
            "last_change_id": self.last_change_id,
            "last_change_lag_s": self.last_change_lag_s,
            "entries": {algorithm: len(index) for algorithm, index in self._indexes.items()},
            "max_thresholds": dict(self._max_thresholds),
        }

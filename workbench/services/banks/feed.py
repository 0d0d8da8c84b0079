"""The bank change feed, writer side.

Every change to a bank or its entries appends a `BankChange` row in the transaction that
makes the change (with its audit event). Workers poll `id > last_seen` and reload what a
row points at, so a hash added or disabled anywhere reaches every worker's index without
a rebuild.

Ids must become visible in order, or a poller could see id 11 before 10 commits and skip
10 for ever. SQLite serialises writers (BEGIN IMMEDIATE), so its ids already follow commit
order. PostgreSQL allocates sequence values at insert time, so writers take a
transaction-scoped advisory lock before inserting the row; the row is the transaction's
last insert, which keeps the lock short.

After a commit that wrote change rows, this process's matchers are marked stale and a
Redis message nudges every worker to poll at once; the poll interval is the fallback when
Redis is down.
"""

from __future__ import annotations

import logging
import weakref

from flask import current_app, has_app_context
from redis.exceptions import RedisError
from sqlalchemy import event, func, select, text
from sqlalchemy.orm import Session, scoped_session

from workbench.models import BankChange

log = logging.getLogger(__name__)

CHANNEL = "workbench:bank-feed"
# Any constant works; it only has to differ from other advisory locks in the database.
_PG_LOCK_KEY = 0x62616E6B  # "bank"
_PENDING = "workbench_bank_changes"

# Matchers living in this process, marked stale after a local commit (tests, the CLI).
_local_listeners: weakref.WeakSet = weakref.WeakSet()


def record_change(
    session: Session,
    bank_id: int,
    op: str,
    *,
    algorithm: str | None = None,
    entry_lo: int | None = None,
    entry_hi: int | None = None,
) -> BankChange:
    """Append a change row. Call it last, just before the commit."""
    if isinstance(session, scoped_session):
        session = session()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _PG_LOCK_KEY})
    change = BankChange(bank_id=bank_id, op=op, algorithm=algorithm, entry_lo=entry_lo, entry_hi=entry_hi)
    session.add(change)
    session.flush()
    session.info.setdefault(_PENDING, []).append(change.id)
    return change


def latest_change_id(session: Session) -> int:
    return session.scalar(select(func.coalesce(func.max(BankChange.id), 0))) or 0


def register_local_listener(matcher) -> None:
    _local_listeners.add(matcher)


@event.listens_for(Session, "after_commit")
def _announce_after_commit(session: Session) -> None:
    changes = session.info.pop(_PENDING, None)
    if not changes:
        return
    for matcher in list(_local_listeners):
        matcher.mark_stale()
    if not has_app_context():
        return
    redis = current_app.extensions.get("workbench_redis")
    if redis is None:
        return
    try:
        redis.publish(CHANNEL, str(max(changes)))
    except RedisError as exc:  # the poll interval still delivers the change
        log.debug("could not publish bank change %s (%s); workers will see it on their next poll", max(changes), exc)


@event.listens_for(Session, "after_soft_rollback")
def _forget_on_rollback(session: Session, previous_transaction) -> None:
    if previous_transaction.parent is None:  # the whole transaction, not a savepoint
        session.info.pop(_PENDING, None)

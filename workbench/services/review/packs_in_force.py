"""The published packs for the review screens, looked up at most once per request and
cached per process for a couple of seconds.

Every claim and every decision needs the packs in force (allowed_rules). policy_runtime
already compiles each published text once per process; what it still does on every call is
the "which versions are in force" query. Here that answer is kept for
`cache_s` (Settings.review_policy_cache_s) per database engine, and dropped at once when
this process publishes a version (a PolicyVersion insert, then again at its commit). Another
process's publication shows up within the TTL: no wider than the race that exists anyway
between a moderator loading the form and a publication, and a decision still names the exact
version it rests on (decide_case refuses a form made under an older version once it is seen).
"""

from __future__ import annotations

import threading
import time
import weakref

from sqlalchemy import event
from sqlalchemy.orm import Session

from workbench.models import PolicyVersion
from workbench.services.policy.runtime import published_policies

_lock = threading.Lock()
_cache: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()  # engine → (expires, generation, published)
_generation = 0
_PUBLISHED_HERE = "workbench_review_policy_published"


def invalidate() -> None:
    global _generation
    with _lock:
        _generation += 1
        _cache.clear()


def published(session: Session, cache_s: float):
    """policy_runtime.published_policies(session), cached for `cache_s` as described above."""
    engine = session.get_bind()
    now = time.monotonic()
    with _lock:
        hit = _cache.get(engine)
        generation = _generation
    if hit is not None and hit[0] > now and hit[1] == generation:
        return hit[2]
    result = published_policies(session)
    if cache_s > 0 and result.key:  # never cache "nothing published yet": the first seed must show
        with _lock:
            if generation == _generation:  # no publication in between
                _cache[engine] = (now + cache_s, generation, result)
    return result


@event.listens_for(PolicyVersion, "after_insert")
def _version_inserted(mapper, connection, target) -> None:
    invalidate()
    session = Session.object_session(target)
    if session is not None:
        session.info[_PUBLISHED_HERE] = True


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    if session.info.pop(_PUBLISHED_HERE, False):
        invalidate()  # a reader may have cached the old versions between the insert and the commit


@event.listens_for(Session, "after_soft_rollback")
def _after_rollback(session: Session, previous_transaction) -> None:
    session.info.pop(_PUBLISHED_HERE, None)

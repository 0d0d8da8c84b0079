"""The Redis side of a batched stage: hand-off queue, claims, delayed retries, heartbeats.

Keys for stage S, under `workbench:batch:S:`
  queue             list of item ids waiting, oldest first
  pending           sorted set: every id handed off and not yet stored (score: hand-off time)
  delayed           sorted set: ids waiting for a retry (score: when it is due)
  claimed:<worker>  list: the ids a worker took off the queue and has not finished
  workers           set of worker names
  worker:<worker>   the worker's heartbeat (JSON about it; expires when it stops refreshing)

A worker moves ids from `queue` to its own `claimed` list atomically (LMOVE), so a worker
killed mid-batch leaves them there: once its heartbeat has expired, `recover_abandoned`
(run by the sweeper and by every worker at start) puts them back on the queue. The
database stays the source of truth: Redis flushed means no `pending` entry, and the
sweeper then re-queues the item's job, which hands it off again. Handing an item off twice
is harmless: the worker skips items no longer waiting for the stage.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from typing import Any

from redis import Redis

from workbench.extensions import get_redis
from workbench.pipeline.stages import registered_stages

KEY_PREFIX = "workbench:batch"

# Move up to ARGV[1] ids from the queue to the worker's claimed list in one round trip.
_CLAIM_SCRIPT = """
local moved = {}
for i = 1, tonumber(ARGV[1]) do
  local id = redis.call('LMOVE', KEYS[1], KEYS[2], 'LEFT', 'RIGHT')
  if not id then break end
  moved[#moved + 1] = id
end
return moved
"""

# Delayed retries that are due go back on the queue, each exactly once even with several workers.
_PROMOTE_SCRIPT = """
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(due) do
  redis.call('ZREM', KEYS[1], id)
  redis.call('RPUSH', KEYS[2], id)
end
return #due
"""


class BatchQueue:
    def __init__(self, redis: Redis, stage: str):
        self.redis = redis
        self.stage = stage
        base = f"{KEY_PREFIX}:{stage}"
        self.queue_key = f"{base}:queue"
        self.pending_key = f"{base}:pending"
        self.delayed_key = f"{base}:delayed"
        self.workers_key = f"{base}:workers"
        self._base = base
        self._claim = redis.register_script(_CLAIM_SCRIPT)
        self._promote = redis.register_script(_PROMOTE_SCRIPT)

    def claimed_key(self, worker: str) -> str:
        return f"{self._base}:claimed:{worker}"

    def heartbeat_key(self, worker: str) -> str:
        return f"{self._base}:worker:{worker}"

    # --- producers ---------------------------------------------------------------------

    def hand_off(self, item_ids: Iterable[int]) -> None:
        ids = [int(i) for i in item_ids]
        if not ids:
            return
        now = time.time()
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.zadd(self.pending_key, {str(i): now for i in ids})
            pipe.rpush(self.queue_key, *ids)
            pipe.execute()

    def retry_later(self, delays: dict[int, float], pipe=None) -> None:
        """Put items back after a failed attempt; they stay pending meanwhile. With `pipe`,
        the commands go on the caller's pipeline (it executes it)."""
        if not delays:
            return
        if pipe is None:
            with self.redis.pipeline(transaction=True) as own:
                self.retry_later(delays, own)
                own.execute()
            return
        now = time.time()
        for item_id, delay in delays.items():
            if delay <= 0:
                pipe.rpush(self.queue_key, item_id)
            else:
                pipe.zadd(self.delayed_key, {str(item_id): now + delay})

    def promote_due(self, limit: int = 1000) -> int:
        return int(self._promote(keys=[self.delayed_key, self.queue_key], args=[time.time(), limit]))

    def next_due_in(self) -> float | None:
        """Seconds until the earliest delayed retry is due (None when there is none)."""
        first = self.redis.zrange(self.delayed_key, 0, 0, withscores=True)
        return max(0.0, first[0][1] - time.time()) if first else None

    # --- consumers ---------------------------------------------------------------------

    def claim(self, worker: str, max_items: int, *, block_s: float = 0.0, wait_s: float = 0.0) -> list[int]:
        """Take up to `max_items` ids: block up to `block_s` for the first one, then keep
        collecting until `max_items` are taken or `wait_s` has passed since the first."""
        claimed_key = self.claimed_key(worker)
        ids = self._claim(keys=[self.queue_key, claimed_key], args=[max_items])
        if not ids:
            if block_s <= 0:
                return []
            first = self.redis.blmove(self.queue_key, claimed_key, block_s, "LEFT", "RIGHT")
            if first is None:
                return []
            ids = [first] + self._claim(keys=[self.queue_key, claimed_key], args=[max_items - 1])
        deadline = time.monotonic() + wait_s
        while len(ids) < max_items:
            remaining = deadline - time.monotonic()
            if remaining < 0.001:
                break
            more = self.redis.blmove(self.queue_key, claimed_key, remaining, "LEFT", "RIGHT")
            if more is None:
                break
            ids.append(more)
            ids += self._claim(keys=[self.queue_key, claimed_key], args=[max_items - len(ids)])
        return [int(i) for i in ids]

    def forget(self, item_ids: Sequence[int], pipe=None) -> None:
        """The items no longer wait for this stage (stored, failed for good, or moved on)."""
        if item_ids:
            (pipe or self.redis).zrem(self.pending_key, *[str(i) for i in item_ids])

    def unclaim(self, worker: str) -> list[int]:
        """Give the worker's claimed ids back to the front of the queue."""
        return self._requeue_claimed(worker)

    def release(self, worker: str, pipe=None) -> None:
        """The worker's batch is done: nothing it held needs recovering."""
        (pipe or self.redis).delete(self.claimed_key(worker))

    # --- workers -------------------------------------------------------------------------

    def register_worker(self, worker: str, info: dict[str, Any], ttl_s: int) -> None:
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.sadd(self.workers_key, worker)
            pipe.set(self.heartbeat_key(worker), json.dumps(info, default=str), ex=ttl_s)
            pipe.execute()

    def heartbeat(self, worker: str, info: dict[str, Any], ttl_s: int) -> None:
        self.register_worker(worker, info, ttl_s)

    def unregister_worker(self, worker: str) -> None:
        """Clean shutdown: anything still claimed goes back to the front of the queue."""
        self._requeue_claimed(worker)
        with self.redis.pipeline(transaction=True) as pipe:
            pipe.delete(self.heartbeat_key(worker))
            pipe.srem(self.workers_key, worker)
            pipe.execute()

    def live_workers(self) -> dict[str, dict]:
        names = sorted(n.decode() for n in self.redis.smembers(self.workers_key))
        if not names:
            return {}
        beats = self.redis.mget([self.heartbeat_key(n) for n in names])
        return {name: json.loads(beat) for name, beat in zip(names, beats) if beat is not None}

    def recover_abandoned(self) -> list[int]:
        """Hand back the ids held by workers whose heartbeat has expired (killed workers)."""
        recovered: list[int] = []
        names = [n.decode() for n in self.redis.smembers(self.workers_key)]
        for name in names:
            if self.redis.exists(self.heartbeat_key(name)):
                continue
            recovered += self._requeue_claimed(name)
            self.redis.srem(self.workers_key, name)
        return recovered

    def _requeue_claimed(self, worker: str) -> list[int]:
        moved = []
        while True:  # one atomic LMOVE per id: an id is always in one list or the other
            item_id = self.redis.lmove(self.claimed_key(worker), self.queue_key, "RIGHT", "LEFT")
            if item_id is None:
                return moved
            moved.append(int(item_id))

    # --- what the sweeper and /healthz ask ---------------------------------------------------

    def holds(self, item_id: int, verify_after_s: float) -> bool:
        """Is the item waiting here? A recent hand-off is trusted; an older one is looked up
        in the queue, the delayed retries and the live workers' claims (an entry can be lost
        when Redis restarts from an older snapshot)."""
        handed_off_at = self.redis.zscore(self.pending_key, str(item_id))
        if handed_off_at is None:
            return False
        if time.time() - handed_off_at < verify_after_s:
            return True
        found = (
            self.redis.lpos(self.queue_key, str(item_id)) is not None
            or self.redis.zscore(self.delayed_key, str(item_id)) is not None
            or any(self.redis.lpos(self.claimed_key(name), str(item_id)) is not None for name in self.live_workers())
        )
        if found:  # trusted again for a while: a long backlog is not scanned on every sweep
            self.redis.zadd(self.pending_key, {str(item_id): time.time()}, xx=True)
        return found

    def counts(self) -> dict[str, int]:
        with self.redis.pipeline(transaction=False) as pipe:
            pipe.llen(self.queue_key)
            pipe.zcard(self.delayed_key)
            pipe.zcard(self.pending_key)
            queued, delayed, pending = pipe.execute()
        return {"queued": queued, "delayed": delayed, "pending": pending}


def batch_queue_for(stage: str) -> BatchQueue:
    """The stage's queue on the app's Redis (inside an app context)."""
    return BatchQueue(get_redis(), stage)


def batch_stage_health(settings, redis: Redis) -> dict[str, dict]:
    """/healthz: per batched stage, its live workers and queue lengths. A stage that is on
    but has no live worker is not ok: its items would wait forever."""
    health = {}
    for stage in registered_stages():
        if not stage.batched:
            continue
        if not stage.is_enabled(settings):
            health[stage.name] = {"ok": True, "enabled": False}
            continue
        queue = BatchQueue(redis, stage.name)
        workers = queue.live_workers()
        health[stage.name] = {
            "ok": bool(workers),
            "enabled": True,
            "count": len(workers),
            **queue.counts(),
            "workers": [
                {
                    "name": name,
                    "text_model": info.get("text_model"),
                    "classifiers": [c.get("classifier") for c in info.get("classifiers", [])],
                }
                for name, info in workers.items()
            ],
        }
    return health

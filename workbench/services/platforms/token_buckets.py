"""Token buckets kept in Redis, shared by every web process on every machine.

A bucket holds up to `burst` tokens and refills at `per_second`; a request takes one. The
refill and the take are one Lua script, so Redis runs them atomically: gunicorn workers
racing for the last token cannot both get it. The script reads Redis's clock (TIME), not
the callers', so web servers whose clocks disagree still share one consistent bucket.

A bucket is a hash {tokens, at} that expires once it would be full again: an idle client
costs no memory, and a missing bucket is a full one.

Leases: a round trip to Redis per request is most of what a limit costs, so a process takes
several tokens at once from a large bucket (up to LEASE_MAX, a 64th of the burst) and spends
them locally for at most LEASE_TTL_S. Nothing is ever overspent (leased tokens left Redis's
bucket); tokens a process does not spend in time are lost, so a limit is at worst a little
stricter. Small buckets (burst under 128) lease one token at a time: exact.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass

LEASE_MAX = 16
LEASE_TTL_S = 1.0

# KEYS[1]: the bucket; ARGV: per_second, burst, cost, lease (>= cost: taken when there are enough).
# Returns {tokens granted (0: refused), tokens left, seconds until `cost` tokens are back (0 when
# granted)}; fractions go back as strings because Redis truncates Lua numbers to integers.
_TAKE = """
if redis.replicate_commands then redis.replicate_commands() end
local rate, burst, cost, lease = tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4])
local clock = redis.call('TIME')
local now = tonumber(clock[1]) + tonumber(clock[2]) / 1000000
local state = redis.call('HMGET', KEYS[1], 'tokens', 'at')
local tokens, at = tonumber(state[1]), tonumber(state[2])
if tokens == nil or at == nil then
  tokens = burst
else
  tokens = math.min(burst, tokens + math.max(0, now - at) * rate)
end
local granted, wait = 0, 0
if tokens >= lease then
  granted = lease
elseif tokens >= cost then
  granted = cost
else
  wait = (cost - tokens) / rate
end
tokens = tokens - granted
redis.call('HSET', KEYS[1], 'tokens', tostring(tokens), 'at', tostring(now))
redis.call('PEXPIRE', KEYS[1], math.ceil((burst - tokens) / rate * 1000) + 1000)
return {granted, tostring(tokens), tostring(wait)}
"""


@dataclass(frozen=True)
class Limit:
    per_second: float  # 0 (or less): no limit
    burst: int

    @property
    def unlimited(self) -> bool:
        return self.per_second <= 0

    @property
    def capacity(self) -> int:
        return max(1, self.burst)  # a bucket that can never hold one token would refuse everything


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    limit: Limit
    tokens: float  # left after this request
    wait_s: float  # until the refused request would fit; 0 when allowed

    @property
    def remaining(self) -> int:
        return int(self.tokens)

    @property
    def retry_after_s(self) -> int:
        """Whole seconds, rounded up: waiting that long is always enough."""
        return max(1, math.ceil(self.wait_s)) if not self.allowed else 0

    @property
    def reset_s(self) -> int:
        """Whole seconds until the bucket is full again."""
        return math.ceil((self.limit.capacity - self.tokens) / self.limit.per_second)


class TokenBuckets:
    """`take` raises redis.exceptions.RedisError when Redis is unreachable: the caller decides."""

    def __init__(self, redis, prefix: str = "wb:ratelimit:"):
        self.prefix = prefix
        self._take = redis.register_script(_TAKE)  # EVALSHA, loading the script when Redis lacks it
        self._leases: dict[str, tuple[int, float, float]] = {}  # key -> (tokens held, until, Redis's tokens)
        self._lock = threading.Lock()

    @staticmethod
    def lease_size(limit: Limit) -> int:
        return max(1, min(LEASE_MAX, limit.capacity // 64))

    def take(self, key: str, limit: Limit, cost: int = 1) -> Verdict:
        if limit.unlimited:
            raise ValueError("an unlimited kind has no bucket")
        lease = max(cost, self.lease_size(limit))
        if lease > cost:
            with self._lock:
                held, until, left = self._leases.get(key, (0, 0.0, 0.0))
                if held >= cost and time.monotonic() < until:
                    self._leases[key] = (held - cost, until, left)
                    return Verdict(True, limit, left + held - cost, 0.0)
        granted, tokens, wait = self._take(
            keys=[self.prefix + key], args=[repr(float(limit.per_second)), limit.capacity, cost, lease]
        )
        tokens, granted = float(tokens), int(granted)
        if granted > cost:
            with self._lock:
                self._leases[key] = (granted - cost, time.monotonic() + LEASE_TTL_S, tokens)
        return Verdict(granted > 0, limit, tokens + max(0, granted - cost), float(wait))

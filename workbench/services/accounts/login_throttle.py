"""Login throttling: exponential backoff per account name, a sliding window per client address.

Account: the first `free_failures` failed attempts in a row cost nothing; after that each
attempt must wait `backoff_base_s * 2**(failures - free_failures)` seconds after the previous
one, capped at `backoff_max_s`. An attempt during the wait is refused without checking the
password and is not counted. So someone who knows a username can make its owner wait one
delay per guess, but never lock them out: the right password after the wait logs in.
Admission is one Lua script that counts the attempt as a failure up front, so requests sent
in parallel cannot share one slot; a complete login forgets the account's failures, and
so do `window_s` seconds without an attempt after the wait.

Client address: a sliding window of failures, with a higher limit (an office shares one
address); while it is full, attempts from that address are refused.

Redis keys are HMACs of the username or address, so Redis never holds either in clear.

When Redis is unreachable the account backoff is computed from the audited failures in the
database (the audit log records every failure anyway): accounts stay protected and the
moderation floor keeps working. The per-address window is skipped during the outage,
because the audit log deliberately keeps no addresses. Failing closed instead would lock
every moderator out whenever Redis, which only carries work, is down.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import math
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import AuditEvent, User
from workbench.settings import Settings

log = logging.getLogger(__name__)
FAILURE_ACTIONS = ("login.failed", "login.totp_failed", "user.reauth_failed")
_ACCOUNT_PREFIX = "wb:login-backoff:account"
_CLIENT_PREFIX = "wb:login-failures:client"

# KEYS[1]: the account's hash {failures, next_at}. ARGV: now, free failures, first wait,
# longest wait, how long failures are remembered after the wait (all times in ms).
# Returns {admitted, failures counted (this attempt included), ms to wait | previous next_at}.
_ADMIT = """
local now = tonumber(ARGV[1])
local state = redis.call('HMGET', KEYS[1], 'failures', 'next_at')
local failures = tonumber(state[1]) or 0
local next_at = tonumber(state[2]) or 0
if now < next_at then
  return {0, failures, next_at - now}
end
local counted = failures + 1
local free = tonumber(ARGV[2])
local wait = 0
if counted >= free then
  wait = math.floor(math.min(tonumber(ARGV[4]), tonumber(ARGV[3]) * 2 ^ math.min(counted - free, 40)))
end
redis.call('HSET', KEYS[1], 'failures', counted, 'next_at', now + wait)
redis.call('PEXPIRE', KEYS[1], wait + tonumber(ARGV[5]))
return {1, counted, next_at}
"""
# Undo one admission (the password was right): only if no other attempt was counted since.
_FORGIVE = """
if tonumber(redis.call('HGET', KEYS[1], 'failures')) ~= tonumber(ARGV[1]) then
  return 0
end
if tonumber(ARGV[1]) <= 1 then
  redis.call('DEL', KEYS[1])
else
  redis.call('HSET', KEYS[1], 'failures', tonumber(ARGV[1]) - 1, 'next_at', ARGV[2])
end
return 1
"""


def now() -> float:
    return time.time()


@dataclass(frozen=True)
class ThrottleSettings:
    """The throttle's view of the settings: build it with `from_settings` (defaults live in
    workbench/settings/fields.py)."""

    free_failures: int
    backoff_base_s: float
    backoff_max_s: float
    max_per_client: int
    window_s: int
    key_secret: bytes

    @classmethod
    def from_settings(cls, settings: Settings) -> ThrottleSettings:
        return cls(
            free_failures=max(1, settings.login_max_failures),
            backoff_base_s=settings.login_backoff_base_s,
            backoff_max_s=settings.login_backoff_max_s,
            max_per_client=settings.login_max_failures_per_client,
            window_s=settings.login_window_s,
            key_secret=settings.secret_key.encode(),
        )

    def wait_after(self, failures: int) -> float:
        """Seconds the next attempt must wait after the `failures`-th failure in a row."""
        if failures < self.free_failures:
            return 0.0
        return min(self.backoff_max_s, self.backoff_base_s * 2 ** min(failures - self.free_failures, 40))

    def failures_to_cap(self) -> int:
        failures = self.free_failures
        while self.wait_after(failures) < self.backoff_max_s and failures < self.free_failures + 40:
            failures += 1
        return failures


@dataclass(frozen=True)
class Lock:
    scope: str  # "account" (backoff) or "client" (address window)
    retry_after_s: int


@dataclass(frozen=True)
class Admission:
    """The throttle's answer before the password is checked: refused (`lock`), or let through."""

    lock: Lock | None = None
    failures: int = 0  # counted in Redis, this attempt included; 0 when counted from the audit log
    previous_next_at_ms: int = 0


def wait_message(retry_after_s: int) -> str:
    if retry_after_s < 60:
        amount = f"{retry_after_s} second{'s' if retry_after_s != 1 else ''}"
    else:
        minutes = -(-retry_after_s // 60)
        amount = f"{minutes} minute{'s' if minutes != 1 else ''}"
    return f"Too many failed attempts. Try again in {amount}."


def _digest(secret: bytes, kind: str, value: str) -> str:
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def client_reference(settings: ThrottleSettings, client: str) -> str:
    """A keyed hash of the address for audit payloads: correlates attacks, reveals no address."""
    return _digest(settings.key_secret, "client-ref", client)[:16]


class LoginThrottle:
    def __init__(self, redis, settings: ThrottleSettings, *, clock: Callable[[], float] | None = None):
        self.redis = redis
        self.settings = settings
        self.clock = clock

    def _now(self) -> float:
        return self.clock() if self.clock is not None else now()

    def account_key(self, username: str) -> str:
        return f"{_ACCOUNT_PREFIX}:{_digest(self.settings.key_secret, 'account', username.strip().casefold())}"

    def _client_key(self, client: str) -> str:
        return f"{_CLIENT_PREFIX}:{_digest(self.settings.key_secret, 'client', client)}"

    def admit(self, session: Session, username: str, client: str | None, user: User | None) -> Admission:
        """Refuse the attempt (address window full, or the account's wait not over) or count it
        as a failure up front; `forget` or `clear_account` undo that when the password is right."""
        current = self._now()
        if client:
            lock = self._client_lock(client, current)
            if lock is not None:
                return Admission(lock)
        settings = self.settings
        try:
            admitted, failures, extra = self.redis.eval(
                _ADMIT,
                1,
                self.account_key(username),
                int(current * 1000),
                settings.free_failures,
                int(settings.backoff_base_s * 1000),
                int(settings.backoff_max_s * 1000),
                settings.window_s * 1000,
            )
        except RedisError:
            log.warning("Redis unreachable: login backoff counts audited failures in the database")
            return self._admit_from_audit_log(session, user, current)
        if not admitted:
            return Admission(Lock("account", max(1, math.ceil(int(extra) / 1000))))
        return Admission(None, int(failures), int(extra))

    def record_failure(
        self, session: Session, username: str, client: str | None, user: User | None, admission: Admission | None
    ) -> list[Lock]:
        """Count a failed attempt in the address window (the account counted it at admission);
        returns the waits and locks this failure starts, to audit them once."""
        started = []
        settings = self.settings
        if admission is not None and admission.failures:
            if admission.failures == settings.free_failures:
                started.append(Lock("account", math.ceil(settings.wait_after(admission.failures))))
        elif user is not None and len(self._audited_failures(session, user, self._now())) + 1 == settings.free_failures:
            # Counted from the audit log: the caller records this failure in the same transaction.
            started.append(Lock("account", math.ceil(settings.wait_after(settings.free_failures))))
        if client:
            current = self._now()
            key = self._client_key(client)
            try:
                pipe = self.redis.pipeline(transaction=True)
                pipe.zremrangebyscore(key, "-inf", current - settings.window_s)
                pipe.zadd(key, {f"{current:.6f}:{secrets.token_hex(4)}": current})
                pipe.zcard(key)
                pipe.expire(key, settings.window_s + 1)
                if pipe.execute()[2] == settings.max_per_client:
                    started.append(Lock("client", settings.window_s))
            except RedisError:
                pass  # no address window while Redis is down (see the module docstring)
        return started

    def forgive(self, username: str, admission: Admission | None) -> None:
        """The password was right but the login is not complete (a TOTP code follows), or a
        signed-in user confirmed their password: this attempt was no failure."""
        if admission is None or not admission.failures:
            return
        try:
            self.redis.eval(_FORGIVE, 1, self.account_key(username), admission.failures, admission.previous_next_at_ms)
        except RedisError:
            pass  # nothing was counted in Redis that could be undone

    def clear_account(self, username: str) -> bool:
        """Forget an account's failures (after a full login, or an admin's unlock)."""
        try:
            self.redis.delete(self.account_key(username))
            return True
        except RedisError:
            return False  # the database fallback resets at the next successful login anyway

    def _client_lock(self, client: str, current: float) -> Lock | None:
        key, limit = self._client_key(client), self.settings.max_per_client
        try:
            pipe = self.redis.pipeline(transaction=True)
            pipe.zremrangebyscore(key, "-inf", current - self.settings.window_s)
            pipe.zrevrange(key, limit - 1, limit - 1, withscores=True)
            _, nth_newest = pipe.execute()
        except RedisError:
            return None
        if nth_newest:
            return Lock("client", max(1, math.ceil(nth_newest[0][1] + self.settings.window_s - current)))
        return None

    def _admit_from_audit_log(self, session: Session, user: User | None, current: float) -> Admission:
        times = self._audited_failures(session, user, current)
        wait = self.settings.wait_after(len(times))
        if wait > 0:
            wait_until = times[0].timestamp() + wait
            if current < wait_until:
                return Admission(Lock("account", max(1, math.ceil(wait_until - current))))
        return Admission()

    def _audited_failures(self, session: Session, user: User | None, current: float) -> list[datetime]:
        """The account's failures since its last login, over the last window plus the longest
        wait, newest first (only as many as it takes to reach the longest wait)."""
        if user is None:
            return []
        since = datetime.fromtimestamp(current - self.settings.window_s - self.settings.backoff_max_s, UTC)
        if user.last_login_at and user.last_login_at > since:
            since = user.last_login_at + timedelta(microseconds=1)
        return list(
            session.scalars(
                select(AuditEvent.occurred_at)
                .where(
                    AuditEvent.object_type == "user",
                    AuditEvent.object_id == str(user.id),
                    AuditEvent.action.in_(FAILURE_ACTIONS),
                    AuditEvent.occurred_at >= since,
                )
                .order_by(AuditEvent.occurred_at.desc())
                .limit(self.settings.failures_to_cap())
            )
        )


def audit_started(
    session: Session, actor: Actor, throttle: LoginThrottle, locks: list[Lock], user_ref, client: str | None
) -> None:
    """One event when an account's backoff starts or an address window fills (not per refusal,
    so a flood cannot flood the audit log)."""
    settings = throttle.settings
    for lock in locks:
        if lock.scope == "account":
            audit.record(
                session,
                actor,
                "login.backoff_started",
                "user",
                user_ref,
                failures=settings.free_failures,
                first_wait_s=lock.retry_after_s,
                max_wait_s=int(settings.backoff_max_s),
            )
        else:
            audit.record(
                session,
                actor,
                "login.locked_out",
                "client",
                client_reference(settings, client or ""),
                scope="client",
                max_failures=settings.max_per_client,
                window_s=settings.window_s,
            )

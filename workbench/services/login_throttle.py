"""Login throttling: sliding windows of failed attempts per account name and per client address.

Redis holds one sorted set per key (member = attempt, score = time); a key name is an HMAC
of the username or address, so Redis never holds either in clear. Attempts refused while
locked are not added, so a lock lifts `window` seconds after the failures that caused it.

When Redis is unreachable the account window falls back to counting the audited failures
in the database (the audit log records every failure anyway): accounts stay protected and
the moderation floor keeps working. The per-address window is skipped during the outage,
because the audit log deliberately keeps no addresses. Failing closed instead would lock
every moderator out whenever Redis, which only carries work, is down.
"""
from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Callable

from redis.exceptions import RedisError
from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.models import AuditEvent, User

log = logging.getLogger(__name__)
FAILURE_ACTIONS = ("login.failed", "login.totp_failed")
_PREFIX = "wb:login-failures"


@dataclass(frozen=True)
class ThrottleSettings:
    max_per_account: int = 5
    max_per_client: int = 20
    window_s: int = 900
    key_secret: bytes = b""

    @classmethod
    def from_config(cls, config) -> "ThrottleSettings":
        return cls(max_per_account=config["WORKBENCH_LOGIN_MAX_FAILURES"],
                   max_per_client=config["WORKBENCH_LOGIN_MAX_FAILURES_PER_CLIENT"],
                   window_s=config["WORKBENCH_LOGIN_WINDOW_S"],
                   key_secret=str(config["SECRET_KEY"]).encode())


@dataclass(frozen=True)
class Lock:
    scope: str  # "account" or "client"
    retry_after_s: int


def _digest(secret: bytes, kind: str, value: str) -> str:
    return hmac.new(secret, f"{kind}:{value}".encode(), hashlib.sha256).hexdigest()[:32]


def client_reference(settings: ThrottleSettings, client: str) -> str:
    """A keyed hash of the address for audit payloads: correlates attacks, reveals no address."""
    return _digest(settings.key_secret, "client-ref", client)[:16]


class LoginThrottle:
    def __init__(self, redis, settings: ThrottleSettings, *, clock: Callable[[], float] = time.time):
        self.redis = redis
        self.settings = settings
        self.clock = clock

    def _keys(self, username: str, client: str | None) -> list[tuple[str, str, int]]:
        secret = self.settings.key_secret
        keys = [("account", f"{_PREFIX}:account:{_digest(secret, 'account', username.strip().casefold())}",
                 self.settings.max_per_account)]
        if client:
            keys.append(("client", f"{_PREFIX}:client:{_digest(secret, 'client', client)}",
                         self.settings.max_per_client))
        return keys

    def check(self, session: Session, username: str, client: str | None, user: User | None) -> Lock | None:
        """The lock in force for this attempt, if any (checked before the password)."""
        now = self.clock()
        try:
            for scope, key, limit in self._keys(username, client):
                pipe = self.redis.pipeline(transaction=True)
                pipe.zremrangebyscore(key, "-inf", now - self.settings.window_s)
                pipe.zrevrange(key, limit - 1, limit - 1, withscores=True)
                _, nth_newest = pipe.execute()
                if nth_newest:
                    return Lock(scope, self._retry_after(nth_newest[0][1], now))
            return None
        except RedisError:
            log.warning("Redis unreachable: login throttling counts audited failures in the database")
            times = self._audited_failures(session, user, now)
            if len(times) >= self.settings.max_per_account:
                return Lock("account", self._retry_after(times[-1].timestamp(), now))
            return None

    def record_failure(self, session: Session, username: str, client: str | None, user: User | None) -> list[Lock]:
        """Count a failed attempt; returns the locks this failure starts (to audit them once)."""
        now = self.clock()
        started = []
        try:
            for scope, key, limit in self._keys(username, client):
                pipe = self.redis.pipeline(transaction=True)
                pipe.zremrangebyscore(key, "-inf", now - self.settings.window_s)
                pipe.zadd(key, {f"{now:.6f}:{secrets.token_hex(4)}": now})
                pipe.zcard(key)
                pipe.expire(key, self.settings.window_s + 1)
                count = pipe.execute()[2]
                if count == limit:
                    started.append(Lock(scope, self.settings.window_s))
        except RedisError:
            # The failure itself is the audit event the caller records in this transaction.
            prior = self._audited_failures(session, user, now)
            if user is not None and len(prior) + 1 == self.settings.max_per_account:
                started.append(Lock("account", self.settings.window_s))
        return started

    def clear_account(self, username: str) -> bool:
        """Forget an account's failures (after a full login, or an admin's unlock)."""
        try:
            self.redis.delete(self._keys(username, None)[0][1])
            return True
        except RedisError:
            return False  # the database fallback resets at the next successful login anyway

    def _retry_after(self, oldest_counted: float, now: float) -> int:
        return max(1, int(oldest_counted + self.settings.window_s - now + 0.999))

    def _audited_failures(self, session: Session, user: User | None, now: float) -> list[datetime]:
        """Up to `max_per_account` failures in the window since the last login, newest first."""
        if user is None:
            return []
        since = datetime.fromtimestamp(now - self.settings.window_s, timezone.utc)
        if user.last_login_at and user.last_login_at > since:
            since = user.last_login_at + timedelta(microseconds=1)
        return list(session.scalars(
            select(AuditEvent.occurred_at)
            .where(AuditEvent.object_type == "user", AuditEvent.object_id == str(user.id),
                   AuditEvent.action.in_(FAILURE_ACTIONS), AuditEvent.occurred_at >= since)
            .order_by(AuditEvent.occurred_at.desc()).limit(self.settings.max_per_account)))

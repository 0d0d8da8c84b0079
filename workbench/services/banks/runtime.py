"""One matcher per process, and the thread that keeps a worker's matcher current.

The refresher listens on the feed's Redis channel and polls when a message arrives or
`poll_interval_s` has passed, whichever is first; after each poll it writes the matcher's
position to a short-lived Redis key, so operators (the banks page) and tests can see how
far each worker has read the feed and how long a change took to arrive.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time

from flask import Flask
from redis import Redis
from redis.exceptions import RedisError

from workbench.extensions import db
from workbench.services.banks.feed import CHANNEL
from workbench.services.banks.matcher import BankMatcher

log = logging.getLogger(__name__)

STATUS_PREFIX = "workbench:bank-feed:worker:"
STATUS_TTL_S = 30
_STATUS_EVERY_S = 5.0
_EXTENSION = "workbench_bank_matcher"
_create_lock = threading.Lock()


def matcher_for(app: Flask, poll_interval_s: float) -> BankMatcher:
    """The app's matcher, created on first use (it builds itself at its first refresh);
    `poll_interval_s` is Settings.bank_feed_poll_s."""
    matcher = app.extensions.get(_EXTENSION)
    if matcher is None:
        with _create_lock:
            matcher = app.extensions.get(_EXTENSION)
            if matcher is None:
                with app.app_context():
                    engine = db.engine
                matcher = BankMatcher(engine, poll_interval_s)
                app.extensions[_EXTENSION] = matcher
    return matcher


class FeedRefresher(threading.Thread):
    def __init__(self, matcher: BankMatcher, redis: Redis, worker_name: str):
        super().__init__(name="bank-feed-refresher", daemon=True)
        self.matcher = matcher
        self.redis = redis
        self.worker_name = worker_name
        self._stop_event = threading.Event()
        self._published_position: int | None = None
        self._published_at = 0.0

    def stop(self) -> None:
        self._stop_event.set()

    def run(self) -> None:
        interval = self.matcher.poll_interval_s
        pubsub = None
        while not self._stop_event.is_set():
            try:
                if pubsub is None:
                    pubsub = self.redis.pubsub(ignore_subscribe_messages=True)
                    pubsub.subscribe(CHANNEL)
                pubsub.get_message(timeout=interval)  # returns early on a nudge
                while pubsub.get_message(timeout=0) is not None:
                    pass  # several nudges need one poll
            except RedisError as exc:  # Redis down: polling alone keeps the matcher current
                log.debug("bank feed subscription failed (%s); polling every %ss", exc, interval)
                if pubsub is not None:
                    try:
                        pubsub.close()
                    except RedisError:
                        pass
                pubsub = None
                self._stop_event.wait(interval)
            try:
                self.matcher.refresh(force=True)
                self._publish_status()
            except Exception:
                log.exception("bank feed poll failed; retrying in %ss", interval)
                self._stop_event.wait(interval)

    def _publish_status(self) -> None:
        now = time.monotonic()
        if self.matcher.position == self._published_position and now - self._published_at < _STATUS_EVERY_S:
            return
        status = {**self.matcher.status(), "worker": self.worker_name, "pid": os.getpid()}
        try:
            self.redis.set(STATUS_PREFIX + self.worker_name, json.dumps(status), ex=STATUS_TTL_S)
            self._published_position, self._published_at = self.matcher.position, now
        except RedisError as exc:
            log.debug("could not publish the bank feed status (%s)", exc)


def start_refresher(app: Flask, redis: Redis, worker_name: str, poll_interval_s: float) -> FeedRefresher:
    """Build the matcher and keep it current in the background (long-running workers)."""
    refresher = FeedRefresher(matcher_for(app, poll_interval_s), redis, worker_name)
    refresher.start()
    app.extensions["workbench_bank_feed_refresher"] = refresher
    return refresher


def worker_feed_status(redis: Redis) -> list[dict]:
    """What each live worker last reported about its matcher (empty when Redis is down)."""
    try:
        keys = sorted(redis.scan_iter(match=STATUS_PREFIX + "*", count=100))
        values = redis.mget(keys) if keys else []
    except RedisError:
        return []
    return [json.loads(value) for value in values if value]

"""Counters and histograms kept in Redis."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass

from redis.exceptions import RedisError

from workbench.extensions import get_redis

log = logging.getLogger(__name__)
PREFIX = "wb:metrics:"


@dataclass(frozen=True)
class Metric:
    name: str
    help: str
    labels: tuple[str, ...] = ()


COUNTERS = {
    m.name: m
    for m in (
        Metric("workbench_items_received_total", "Items accepted by the API.", ("kind",)),
        Metric("workbench_job_failures_total", "Failed pipeline attempts (retried unless final).", ("final",)),
        Metric("workbench_items_requeued_total", "Items the sweeper re-queued after Redis or a worker lost them."),
        Metric("workbench_webhook_attempts_total", "Webhook delivery attempts by outcome.", ("outcome",)),
        Metric("workbench_webhook_failures_total", "Webhook deliveries that exhausted their retries."),
        Metric("workbench_api_rate_limited_total", "API requests refused with 429, per kind of request.", ("kind",)),
    )
}
BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)
HISTOGRAMS = {
    m.name: m
    for m in (
        Metric("workbench_stage_seconds", "Time spent in each pipeline stage.", ("stage",)),
        Metric("workbench_classifier_seconds", "Classifier inference time per batch.", ("classifier",)),
        Metric("workbench_upload_to_final_seconds", "From upload to the item's final pipeline status."),
    )
}


def _redis():
    return get_redis()


def label_key(metric: Metric, labels: dict) -> str:
    return ",".join(f'{name}="{labels.get(name, "")}"' for name in metric.labels)


def inc(name: str, amount: float = 1, **labels) -> None:
    metric = COUNTERS[name]
    try:
        _redis().hincrbyfloat(PREFIX + name, label_key(metric, labels), amount)
    except (RedisError, RuntimeError) as exc:  # RuntimeError: no app context
        log.debug("metric %s not recorded: %s", name, exc)


def observe(name: str, seconds: float, **labels) -> None:
    deferred = getattr(_deferred, "observations", None)
    if deferred is not None:  # inside deferred_observations(): sent later with the caller's pipeline
        deferred.append((name, seconds, labels))
        return
    try:
        pipe = _redis().pipeline(transaction=False)
        add_observation(pipe, name, seconds, labels)
        pipe.execute()
    except (RedisError, RuntimeError) as exc:
        log.debug("metric %s not recorded: %s", name, exc)


def add_observation(pipe, name: str, seconds: float, labels: dict) -> None:
    """Queue one observation's commands on a Redis pipeline."""
    key = label_key(HISTOGRAMS[name], labels)
    for bound in BUCKETS:
        if seconds <= bound:
            pipe.hincrby(PREFIX + name, f"{key}|{bound}", 1)
    pipe.hincrby(PREFIX + name, f"{key}|+Inf", 1)
    pipe.hincrbyfloat(PREFIX + name, f"{key}|sum", seconds)


_deferred = threading.local()


@contextlib.contextmanager
def deferred_observations():
    """Observations made inside are only collected (list of (name, seconds, labels)), for
    a caller that sends them with add_observation in a pipeline it runs anyway (the batch
    worker's hand-off): no round trip of their own."""
    previous = getattr(_deferred, "observations", None)
    _deferred.observations = collected = []
    try:
        yield collected
    finally:
        _deferred.observations = previous


@contextlib.contextmanager
def timed(name: str, **labels):
    started = time.perf_counter()
    try:
        yield
    finally:
        observe(name, time.perf_counter() - started, **labels)


def read_counters(redis) -> dict[str, dict[str, float]]:
    return {name: {k.decode(): float(v) for k, v in redis.hgetall(PREFIX + name).items()} for name in COUNTERS}


def read_histograms(redis) -> dict[str, dict[str, float]]:
    return {name: {k.decode(): float(v) for k, v in redis.hgetall(PREFIX + name).items()} for name in HISTOGRAMS}

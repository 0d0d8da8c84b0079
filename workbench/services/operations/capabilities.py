"""Optional tools and models: what each enables, and whether this process has it.

The workbench runs without any of them; the feature they enable is off and `/healthz`
says so (status `degraded`, still serving). Each worker publishes what it lacks to Redis
when it starts, because the tool matters where the work runs, not only on the web host.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from classifiers.video.chromaprint import fpcalc_path

_WORKER_KEY = "wb:worker-capabilities"  # hash: worker name -> {"missing": [capability names], "at": time}
_STALE_AFTER_S = 86400


@dataclass(frozen=True)
class Capability:
    name: str
    feature: str  # what is off without it, in words for operators
    missing_reason: str  # why, and how to get it
    available: Callable[[], bool]


CAPABILITIES: tuple[Capability, ...] = (
    Capability(
        "music_fingerprinting",
        "music in uploads is not fingerprinted and music banks cannot take reference tracks",
        "fpcalc is not installed (Debian package libchromaprint-tools)",
        lambda: fpcalc_path() is not None,
    ),
)
_BY_NAME = {capability.name: capability for capability in CAPABILITIES}


def missing_here() -> list[Capability]:
    return [capability for capability in CAPABILITIES if not capability.available()]


def by_name(name: str) -> Capability:
    return _BY_NAME[name]


def is_available(name: str) -> bool:
    return _BY_NAME[name].available()


def publish_for_worker(redis, worker_name: str) -> list[Capability]:
    """Record what this worker process lacks (read by /healthz for the workers alive)."""
    missing = missing_here()
    redis.hset(
        _WORKER_KEY,
        worker_name,
        json.dumps({"missing": [capability.name for capability in missing], "at": time.time()}),
    )
    return missing


def forget_worker(redis, worker_name: str) -> None:
    redis.hdel(_WORKER_KEY, worker_name)


def missing_report(redis, live_workers: Iterable[str], here: str = "web") -> dict[str, dict]:
    """{capability: {"feature", "reason", "where": [process names]}} for every capability that
    this process or a live worker lacks."""
    where: dict[str, list[str]] = {capability.name: [here] for capability in missing_here()}
    live = set(live_workers)
    stale = []
    for raw_name, raw_value in redis.hgetall(_WORKER_KEY).items():
        name = raw_name.decode() if isinstance(raw_name, bytes) else raw_name
        value = json.loads(raw_value)
        if name not in live:
            # A worker that was killed never said goodbye; a fresh entry may be a worker starting up.
            if time.time() - value.get("at", 0) > _STALE_AFTER_S:
                stale.append(name)
            continue
        for capability_name in value.get("missing", []):
            if capability_name in _BY_NAME:
                where.setdefault(capability_name, []).append(f"worker {name}")
    if stale:
        redis.hdel(_WORKER_KEY, *stale)
    return {
        name: {"feature": _BY_NAME[name].feature, "reason": _BY_NAME[name].missing_reason, "where": processes}
        for name, processes in where.items()
    }

"""API rate limits: which bucket a request takes from, and what a refusal looks like.

Each API client has one token bucket per kind of request (services/platforms/token_buckets.py):

- uploads: POST /items
- reports: POST /reports and POST /appeals (notices and complaints)
- reads:   every GET (and HEAD)
- writes:  every other change (hash banks, imports, the webhook settings, image comparison)

The limits come from WORKBENCH_RATE_LIMIT_<KIND>_PER_S and _BURST; PER_S 0 turns a kind's
limit off. A refusal is `429 rate_limited` with Retry-After; every limited answer carries
RateLimit-Limit/-Remaining/-Reset, and /metrics counts refusals per kind.

When Redis is unreachable the limits are not enforced (fail open, one log line, then no
attempt for a few seconds): accepted work is durable in the database anyway, and refusing
every platform call whenever Redis, which only carries work, is away would stop intake.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from flask import current_app, g, has_app_context, request
from redis.exceptions import RedisError

from workbench.api.blueprint import bp
from workbench.api.errors import ApiError
from workbench.extensions import get_redis
from workbench.metrics import inc
from workbench.metrics.gauges import Gauge, gauge_source
from workbench.services.platforms.token_buckets import Limit, TokenBuckets, Verdict
from workbench.settings import Settings
from workbench.settings import current as current_settings

log = logging.getLogger(__name__)
KINDS = ("uploads", "reports", "reads", "writes")
_KIND_OF_ENDPOINT = {"api_v1.create_item": "uploads", "api_v1.post_report": "reports", "api_v1.post_appeal": "reports"}
_READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
REDIS_RETRY_S = 5.0  # after Redis failed, requests skip the limits this long instead of each waiting on it


@dataclass
class _State:
    """Per app (so per process): the loaded script and when to try Redis again."""

    buckets: TokenBuckets
    skip_until: float = 0.0


def kind_of_request() -> str:
    kind = _KIND_OF_ENDPOINT.get(request.endpoint or "")
    if kind:
        return kind
    return "reads" if request.method in _READ_METHODS else "writes"


def limit_for(settings: Settings, kind: str) -> Limit:
    return Limit(getattr(settings, f"rate_limit_{kind}_per_s"), getattr(settings, f"rate_limit_{kind}_burst"))


def _state() -> _State:
    extensions = current_app.extensions
    if "workbench_rate_limits" not in extensions:
        extensions["workbench_rate_limits"] = _State(TokenBuckets(get_redis()))
    return extensions["workbench_rate_limits"]


def _take(client_id: int, kind: str, limit: Limit) -> Verdict | None:
    """The bucket's verdict, or None when Redis cannot be asked (fail open)."""
    state = _state()
    if time.monotonic() < state.skip_until:
        return None
    try:
        return state.buckets.take(f"{client_id}:{kind}", limit)
    except RedisError as exc:
        state.skip_until = time.monotonic() + REDIS_RETRY_S
        log.warning("API rate limits not enforced for %.0f s: Redis unreachable (%s)", REDIS_RETRY_S, exc)
        return None


def enforce_rate_limit(client) -> None:
    """Take a token for this request from the client's bucket; 429 when there is none."""
    kind = kind_of_request()
    limit = limit_for(current_settings(), kind)
    if limit.unlimited:
        return
    verdict = _take(client.id, kind, limit)
    if verdict is None:
        return
    g.rate_limit_verdict = verdict
    if not verdict.allowed:
        inc("workbench_api_rate_limited_total", kind=kind)
        raise ApiError(
            429,
            "rate_limited",
            f"this API key has used up its {kind} limit ({limit.per_second:g} "
            f"a second, bursts of {limit.capacity}); retry after {verdict.retry_after_s} s",
        )


@bp.after_request
def add_rate_limit_headers(response):
    verdict: Verdict | None = g.get("rate_limit_verdict")
    if verdict is not None:
        response.headers["RateLimit-Limit"] = str(verdict.limit.capacity)
        response.headers["RateLimit-Remaining"] = str(verdict.remaining)
        response.headers["RateLimit-Reset"] = str(verdict.reset_s)
        if not verdict.allowed:
            response.headers["Retry-After"] = str(verdict.retry_after_s)
    return response


@gauge_source
def rate_limit_gauges(session, redis) -> list[Gauge]:
    """The limits in force, next to the refusals counter (0 per second: unlimited)."""
    if not has_app_context():
        return []
    per_second = Gauge("workbench_api_rate_limit_per_second", "API tokens refilled per second per client and kind.")
    burst = Gauge("workbench_api_rate_limit_burst", "API bucket size per client and kind.")
    for kind in KINDS:
        limit = limit_for(current_settings(), kind)
        per_second.samples.append((f'kind="{kind}"', max(0.0, limit.per_second)))
        burst.samples.append((f'kind="{kind}"', limit.capacity))
    return [per_second, burst]

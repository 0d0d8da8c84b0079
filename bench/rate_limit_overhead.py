"""What the API rate limits cost an upload: bench/load.py's measurement, kept in its own module.

Two gunicorn servers share the stack: one with every limit far above the load (so nothing is
refused and every request pays the bucket check: one Lua script in Redis) and one with the
limits off. Closed-loop uploaders (each sends its next upload when the last is answered, the
same mix of texts and images as the load) run against one server at a time, in alternating
rounds (off/on, then on/off, ...) so that drift in the machine's load falls on both alike.

rate_limit_overhead = 1 - (uploads/s with limits) / (uploads/s without), over all rounds.
rate_limit_check_us is the bucket check alone (mostly served from its lease, as in the servers),
timed from this process against the same Redis;
rate_limit_check_share puts it against an upload's time without limits (clients / uploads/s):
a second estimate of the same cost, far less noisy on a busy machine.

address_check_us is the webhook address check (services/outbound.check_url: resolve the
receiver's name, check every address) that each delivery attempt pays; an upload causes at
most one delivery of its decision, so address_check_share puts one check against an upload's
time, as above.
"""

from __future__ import annotations

import collections
import random
import statistics
import threading
import time

import requests

KINDS = ("UPLOADS", "REPORTS", "READS", "WRITES")
# Far above any load this bench makes: the check runs, the bucket never empties.
LIMITS_FAR_ABOVE = {
    f"WORKBENCH_RATE_LIMIT_{kind}_{part}": value
    for kind in KINDS
    for part, value in (("PER_S", "1000000"), ("BURST", "1000000000"))
}
LIMITS_OFF = {f"WORKBENCH_RATE_LIMIT_{kind}_PER_S": "0" for kind in KINDS}


def closed_loop(
    uploads_class, base_url: str, key: str, seconds: float, clients: int, counter, seed: int
) -> tuple[int, float, collections.Counter]:
    """(uploads accepted, seconds, errors) with `clients` uploaders each waiting for its answer."""
    uploads, stop = uploads_class(), threading.Event()

    def loop(n: int) -> None:
        rng = random.Random(seed + n)
        with requests.Session() as http:
            while not stop.is_set():
                uploads.post(http, base_url, key, next(counter), rng)

    threads = [threading.Thread(target=loop, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join()
    return len(uploads.accepted), time.perf_counter() - began, uploads.errors


def check_cost_us(redis_url: str, calls: int = 2000) -> float:
    """Median microseconds of one bucket check (a Lua script in Redis) from one client."""
    from redis import Redis

    from workbench.services.platforms.token_buckets import Limit, TokenBuckets

    buckets = TokenBuckets(Redis.from_url(redis_url), prefix="wb:bench-ratelimit:")
    limit = Limit(per_second=1e6, burst=10**9)
    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        buckets.take("check", limit)
        timings.append((time.perf_counter() - started) * 1e6)
    return statistics.median(timings)


def address_check_us(calls: int = 2000) -> float:
    """Median microseconds of one webhook address check of a named receiver (the resolver runs)."""
    from workbench.services.webhooks.outbound import check_url

    timings = []
    for _ in range(calls):
        started = time.perf_counter()
        check_url("http://localhost:8080/hooks/workbench", allow_cidrs=("127.0.0.0/8", "::1/128"))
        timings.append((time.perf_counter() - started) * 1e6)
    return statistics.median(timings)


def measure(
    uploads_class,
    on_url: str,
    off_url: str,
    key: str,
    redis_url: str,
    *,
    rounds: int,
    seconds: float,
    clients: int,
    counter,
) -> dict:
    """Alternating rounds against the server with limits (on_url) and without (off_url)."""
    for url in (on_url, off_url):  # warm both: connections, the first requests of each worker
        closed_loop(uploads_class, url, key, min(2.0, seconds), clients, counter, 7)
    totals = {"on": [0, 0.0], "off": [0, 0.0]}
    pair_overheads, errors = [], collections.Counter()
    for n in range(rounds):
        order = ("off", "on") if n % 2 == 0 else ("on", "off")
        rates = {}
        for arm in order:
            accepted, span, failed = closed_loop(
                uploads_class, on_url if arm == "on" else off_url, key, seconds, clients, counter, 100 * n
            )
            totals[arm][0] += accepted
            totals[arm][1] += span
            rates[arm] = accepted / span
            errors.update({f"{arm}: {kind}": count for kind, count in failed.items()})
        pair_overheads.append(round(1 - rates["on"] / rates["off"], 4))
        print(f"rate-limit round {n + 1}/{rounds}: off {rates['off']:.1f}/s, on {rates['on']:.1f}/s", flush=True)
    on_rate, off_rate = (totals[arm][0] / totals[arm][1] for arm in ("on", "off"))
    check_us, address_us = check_cost_us(redis_url), address_check_us()
    return {
        "address_check_us": round(address_us, 1),
        "address_check_share": round(address_us / 1e6 * off_rate / clients, 5),
        "rate_limit_overhead": round(1 - on_rate / off_rate, 4),
        "rate_limit_check_share": round(check_us / 1e6 * off_rate / clients, 5),
        "rate_limit_on_uploads_per_s": round(on_rate, 2),
        "rate_limit_off_uploads_per_s": round(off_rate, 2),
        "rate_limit_pair_overheads": pair_overheads,
        "rate_limit_clients": clients,
        "rate_limit_check_us": round(check_us, 1),
        "rate_limit_errors": sum(errors.values()),
        "rate_limit_error_kinds": dict(errors),
    }

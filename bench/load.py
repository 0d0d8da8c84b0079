"""Load benchmark: the whole stack under a mixed load of uploads and moderators.

Like `make run` (workbench/devserver.py): gunicorn, a throwaway PostgreSQL cluster, the
embedded Redis, 2 pipeline workers (`flask worker`), the classify worker and the sweeper,
each its own process. Then, for --seconds:

- uploaders post items through POST /api/v1/items at --upload-rate items/s in total (an
  open loop: a slow server is measured, not politely waited for): texts, and one in five
  an image. Half of the images are copies of pictures in a `copyright` hash bank, so the
  default policy packs queue a case for them (rights queue) - the items moderators work on;
- --moderators moderators log in through the real login form and claim and decide cases
  through the JSON routes the case page uses (bench/claims.py's helpers). A human reads
  a case before deciding: after each claim a moderator waits a random think time, uniform
  in --think-ms (default 3-8 s per case), and polls the queue every --poll-ms when it is empty.

After the load, a drain period (--drain-seconds) lets the pipeline finish what was accepted.
A short baseline phase runs first on the same stack: one uploader at 1 item/s and one
moderator with no think time, for --baseline-seconds.

The web server runs with the API rate limits on, far above the load (nothing is refused).
Last, what those limits cost (bench/rate_limit_overhead.py): closed-loop uploaders in
--overhead-rounds alternating rounds of --overhead-seconds against two more gunicorns, alike
but for the limits: far above the load, or off (0 rounds skips it).

    .venv/bin/python bench/load.py [--seconds 60] [--upload-rate 5] [--moderators 8]
                                   [--think-ms 3000-8000] [--baseline-seconds 10]
                                   [--overhead-rounds 4] [--overhead-seconds 5]

Prints its figures and, last, one JSON line: uploads_per_s (accepted), upload_to_queued_p95_ms
(the API's 201 → the item's case row committed, read from the database), claim_p95_ms,
errors (must be 0: non-201 uploads, failed claims or decisions), items_lost (must be 0:
accepted items not in a final status after the drain), items_error (ended in `error`),
moderator_think_ms, the baseline_* figures, address_check_us and address_check_share (the webhook
address check, bench/rate_limit_overhead.py), rate_limit_overhead (the fraction of upload
throughput the limits cost; rate_limit_* the figures behind it, rate_limit_errors must be 0)
and the machine's load average.
"""

from __future__ import annotations

import argparse
import collections
import itertools
import json
import os
import random
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import select

from bench.claims import PASSWORD, ClaimFailed, Tally, claim_next_case, decide_routed, log_in, wait_for
from bench.ingest import free_port, percentile, small_jpeg
from bench.rate_limit_overhead import LIMITS_FAR_ABOVE, LIMITS_OFF
from bench.rate_limit_overhead import measure as measure_rate_limits
from tests.support.postgres import PostgresCluster
from workbench import create_app
from workbench import settings as workbench_settings
from workbench.embedded_redis import EmbeddedRedis
from workbench.extensions import db

KNOWN_IMAGES = 8  # pictures in the copyright bank: uploading one queues a case
TEXTS = [
    "what a lovely day at the lake",
    "new recipe: lentil soup with lemon",
    "match highlights from last night",
    "anyone else watching the launch?",
    "my cat discovered the printer",
    "tips for learning a language",
]


def known_image(index: int) -> bytes:
    return small_jpeg(10_000 + index)


def prepare(app, moderators: int) -> str:
    """Schema, policies, a copyright bank with the known pictures, users; returns an API key."""
    import hashlib

    from workbench.audit import Actor
    from workbench.models import BankEntry, HashBank
    from workbench.services.accounts.users import create_user
    from workbench.services.platforms.clients import create_client
    from workbench.services.policy.runtime import published_policies

    actor = Actor.system("bench")
    with app.app_context():
        db.create_all()
        published_policies(db.session, seed_if_empty=True)
        db.session.commit()
        bank = HashBank(name="bench-copyright", kind="copyright")
        db.session.add(bank)
        db.session.flush()
        for index in range(KNOWN_IMAGES):
            db.session.add(
                BankEntry(bank_id=bank.id, algorithm="sha256", value=hashlib.sha256(known_image(index)).hexdigest())
            )
        db.session.commit()
        key = create_client(db.session, "load", actor).key
        for n in range(moderators + 1):
            create_user(
                db.session,
                f"mod{n}",
                "moderator",
                PASSWORD,
                actor,
                jurisdictions=["GLOBAL"],
                languages=["*"],
                settings=workbench_settings.current(),
            )
        db.session.remove()
    return key


class Uploads:
    def __init__(self):
        self.lock = threading.Lock()
        self.accepted: dict[int, datetime] = {}  # item id -> when the 201 arrived (UTC)
        self.errors: collections.Counter = collections.Counter()

    def post(self, http: requests.Session, base_url: str, key: str, index: int, rng: random.Random) -> None:
        headers = {"Authorization": f"Bearer {key}"}
        fields = {
            "external_id": f"load-{index}",
            "author_id": f"user-{index % 211}",
            "country": rng.choice(["DE", "FR", "US", "GB", "IN"]),
        }
        try:
            if index % 5 == 0:
                image = known_image(index // 5 % KNOWN_IMAGES) if index % 10 == 0 else small_jpeg(index)
                response = http.post(
                    f"{base_url}/api/v1/items",
                    data=fields,
                    headers=headers,
                    timeout=60,
                    files={"image": ("x.jpg", image, "image/jpeg")},
                )
            else:
                fields["text"] = f"{rng.choice(TEXTS)} #{index}"
                response = http.post(f"{base_url}/api/v1/items", json=fields, headers=headers, timeout=60)
        except requests.RequestException as exc:
            with self.lock:
                self.errors[f"upload {type(exc).__name__}"] += 1
            return
        with self.lock:
            if response.status_code == 201:
                self.accepted[response.json()["id"]] = datetime.now(UTC)
            else:
                self.errors[f"upload {response.status_code}"] += 1


def upload_loop(
    base_url: str, key: str, uploads: Uploads, rate: float, stop: threading.Event, counter, seed: int
) -> None:
    """Open loop: each uploader keeps its share of the rate on a fixed schedule."""
    rng = random.Random(seed)
    with requests.Session() as http:
        next_at = time.monotonic() + rng.uniform(0, 1 / rate)
        while not stop.is_set():
            stop.wait(max(0.0, next_at - time.monotonic()))
            if stop.is_set():
                break
            uploads.post(http, base_url, key, next(counter), rng)
            next_at += 1 / rate


def moderator_loop(
    base_url: str,
    username: str,
    tally: Tally,
    stop: threading.Event,
    think_ms: tuple[int, int],
    poll_ms: int,
    seed: int,
) -> None:
    """Claim, read for a think time, decide; poll while the queue is empty."""
    rng = random.Random(seed)
    try:
        session, token = log_in(base_url, username)
    except (requests.RequestException, AttributeError) as exc:
        tally.error(f"login {type(exc).__name__}")
        return
    headers = {"X-CSRFToken": token}
    while not stop.is_set():
        try:
            case, elapsed_ms = claim_next_case(session, base_url, headers)
        except ClaimFailed as exc:
            tally.error(str(exc))
            stop.wait(poll_ms / 1000)
            continue
        with tally.lock:
            tally.claims_ms.append(elapsed_ms)  # an empty answer is a claim attempt too
        if case is None:
            stop.wait(poll_ms / 1000)
            continue
        with tally.lock:
            tally.handed[case["id"]].add(username)
        if think_ms[1] > 0:
            time.sleep(rng.uniform(*think_ms) / 1000)  # reading the case; decided even if the run ends
        failure = decide_routed(session, base_url, headers, case, "load")
        with tally.lock:
            if failure is None:
                tally.decisions += 1
            else:
                tally.errors[failure] += 1


def run_phase(
    base_url: str,
    key: str,
    seconds: float,
    rate: float,
    uploaders: int,
    moderators: list[str],
    think_ms: tuple[int, int],
    poll_ms: int,
    counter,
) -> tuple[Uploads, Tally, float]:
    uploads, tally, stop = Uploads(), Tally(), threading.Event()
    threads = [
        threading.Thread(target=moderator_loop, args=(base_url, name, tally, stop, think_ms, poll_ms, n))
        for n, name in enumerate(moderators)
    ]
    threads += [
        threading.Thread(target=upload_loop, args=(base_url, key, uploads, rate / uploaders, stop, counter, 1000 + n))
        for n in range(uploaders)
    ]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    span = time.perf_counter() - began
    for thread in threads:
        thread.join()
    return uploads, tally, span


def drain(app, item_ids: list[int], timeout_s: float) -> dict[int, str]:
    """Wait until every accepted item is final (or the time is up); returns id -> status."""
    from workbench.models import Item, ItemStatus

    deadline = time.monotonic() + timeout_s
    statuses: dict[int, str] = {}
    with app.app_context():
        while True:
            statuses = {}
            for start in range(0, len(item_ids), 5000):
                chunk = item_ids[start : start + 5000]
                statuses.update(db.session.execute(select(Item.id, Item.status).where(Item.id.in_(chunk))).all())
            db.session.rollback()
            if all(statuses.get(i) in ItemStatus.FINAL for i in item_ids) or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        db.session.remove()
    return statuses


def queued_latencies_ms(app, accepted: dict[int, datetime]) -> list[float]:
    """Upload accepted → the item's (first) case committed, for items that got a case."""
    from sqlalchemy import func

    from workbench.models import Case

    with app.app_context():
        rows = (
            db.session.execute(
                select(Case.item_id, func.min(Case.created_at))
                .where(Case.item_id.in_(list(accepted)))
                .group_by(Case.item_id)
            ).all()
            if accepted
            else []
        )
        db.session.remove()
    return [max(0.0, (created - accepted[item_id]).total_seconds() * 1000) for item_id, created in rows]


def phase_figures(app, uploads: Uploads, tally: Tally, span: float, prefix: str = "") -> dict:
    queued = queued_latencies_ms(app, uploads.accepted)
    claims = tally.claims_ms or [float("nan")]
    return {
        f"{prefix}uploads_per_s": round(len(uploads.accepted) / span, 2),
        f"{prefix}upload_to_queued_p50_ms": round(percentile(queued, 0.5), 1) if queued else None,
        f"{prefix}upload_to_queued_p95_ms": round(percentile(queued, 0.95), 1) if queued else None,
        f"{prefix}cases_queued": len(queued),
        f"{prefix}claim_p50_ms": round(percentile(claims, 0.5), 1),
        f"{prefix}claim_p95_ms": round(percentile(claims, 0.95), 1),
        f"{prefix}decisions": tally.decisions,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--upload-rate", type=float, default=5.0, help="items per second, all uploaders together")
    parser.add_argument("--uploaders", type=int, default=8, help="concurrent API clients sharing the rate")
    parser.add_argument("--moderators", type=int, default=8)
    parser.add_argument("--think-ms", default="3000-8000", help="per-case reading time, uniform: MIN-MAX ms")
    parser.add_argument("--poll-ms", type=int, default=2000, help="how often a moderator asks again when idle")
    parser.add_argument("--baseline-seconds", type=float, default=10.0, help="0 skips the baseline phase")
    parser.add_argument("--drain-seconds", type=float, default=180.0)
    parser.add_argument("--workers", type=int, default=2, help="pipeline worker processes")
    parser.add_argument(
        "--overhead-rounds", type=int, default=4, help="rounds with and without the API rate limits (0 skips them)"
    )
    parser.add_argument("--overhead-seconds", type=float, default=5.0, help="length of each of those rounds")
    args = parser.parse_args()
    low, _, high = args.think_ms.partition("-")
    think_ms = (int(low), int(high or low))

    folder = Path(tempfile.mkdtemp(prefix="wb-bench-load-"))
    cluster = PostgresCluster().start()
    redis = EmbeddedRedis(str(folder / "redis.sock"), str(folder / "redis"), persistent=False).start()
    processes: list[subprocess.Popen] = []
    figures: dict = {}
    try:
        settings = {
            "DATABASE_URL": cluster.create_database("load"),
            "REDIS_URL": redis.url,
            "WORKBENCH_INSTANCE_PATH": str(folder),
            "SECRET_KEY": "bench-secret",
            "WORKBENCH_PSEUDONYM_KEY": "bench-pseudonyms",
            "WORKBENCH_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "WORKBENCH_LOGIN_MAX_FAILURES_PER_CLIENT": "1000",
            "WORKBENCH_SWEEP_INTERVAL_S": "10",
            **LIMITS_FAR_ABOVE,
        }
        os.environ.update(settings)
        env = {**os.environ, **settings}
        app = create_app()
        key = prepare(app, args.moderators)
        port = free_port()
        log = open(folder / "processes.log", "w")

        def spawn(argv: list[str], **extra_env: str) -> None:
            processes.append(
                subprocess.Popen(argv, cwd=ROOT, env={**env, **extra_env}, stdout=log, stderr=subprocess.STDOUT)
            )

        flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
        for n in range(args.workers):
            spawn(flask + ["worker", "--name", f"load-{n + 1}"])
        spawn(flask + ["classify-worker", "--name", "load-classify"])
        spawn(flask + ["pipeline", "sweeper"])
        # --keep-alive above the moderators' poll interval: otherwise a poll can race the server
        # closing the idle connection (a client-side ConnectionError that no real browser would see).
        gunicorn = [
            sys.executable,
            "-m",
            "gunicorn",
            "--workers",
            "2",
            "--threads",
            "4",
            "--timeout",
            "120",
            "--keep-alive",
            "30",
            "wsgi:app",
        ]
        spawn(gunicorn + ["--bind", f"127.0.0.1:{port}"])
        base_url = f"http://127.0.0.1:{port}"
        wait_for(base_url)
        limited_url = unlimited_url = ""
        if args.overhead_rounds > 0:
            # Two fresh servers for the last phase, alike but for the limits (far above the load, or
            # off), both idle until then: neither carries the load phase's connections and caches.
            limited_port, unlimited_port = free_port(), free_port()
            spawn(gunicorn + ["--bind", f"127.0.0.1:{limited_port}"])
            spawn(gunicorn + ["--bind", f"127.0.0.1:{unlimited_port}"], **LIMITS_OFF)
            limited_url, unlimited_url = f"http://127.0.0.1:{limited_port}", f"http://127.0.0.1:{unlimited_port}"
            wait_for(limited_url)
            wait_for(unlimited_url)
        health = requests.get(f"{base_url}/healthz", timeout=10)
        if health.status_code != 200:
            raise RuntimeError(f"the stack is not healthy: {health.text}")
        counter = itertools.count()  # upload numbers, shared by every uploader (next() on it is atomic)
        baseline = {}
        all_accepted: dict[int, datetime] = {}
        errors: collections.Counter = collections.Counter()
        if args.baseline_seconds > 0:
            uploads, tally, span = run_phase(
                base_url, key, args.baseline_seconds, 1.0, 1, ["mod0"], (0, 0), 250, counter
            )
            drain(app, list(uploads.accepted), args.drain_seconds)
            baseline = phase_figures(app, uploads, tally, span, "baseline_")
            all_accepted.update(uploads.accepted)
            errors.update(uploads.errors)
            errors.update(tally.errors)
            print(f"baseline: {baseline}", flush=True)
        uploads, tally, span = run_phase(
            base_url,
            key,
            args.seconds,
            args.upload_rate,
            args.uploaders,
            [f"mod{n}" for n in range(1, args.moderators + 1)],
            think_ms,
            args.poll_ms,
            counter,
        )
        all_accepted.update(uploads.accepted)
        errors.update(uploads.errors)
        errors.update(tally.errors)
        drain_began = time.perf_counter()
        statuses = drain(app, list(all_accepted), args.drain_seconds)
        drained_s = time.perf_counter() - drain_began
        from workbench.models import ItemStatus

        lost = [i for i in all_accepted if statuses.get(i) not in ItemStatus.FINAL]
        failed = [i for i in all_accepted if statuses.get(i) == ItemStatus.ERROR]
        handed = sum(1 for names in tally.handed.values() if len(names) > 1)
        figures = {
            "seconds": args.seconds,
            "upload_rate_target": args.upload_rate,
            **phase_figures(app, uploads, tally, span),
            "uploads": len(uploads.accepted),
            "moderators": args.moderators,
            "moderator_think_ms": list(think_ms),
            "errors": sum(errors.values()),
            "error_kinds": dict(errors),
            "items_lost": len(lost),
            "items_error": len(failed),
            "double_claims": handed,
            "drain_s": round(drained_s, 1),
            **baseline,
            "load_average_1m": round(os.getloadavg()[0], 1),
        }
        print(
            f"load: {len(uploads.accepted)} uploads and {tally.decisions} decisions in {span:.1f} s; "
            f"drained in {drained_s:.1f} s; lost: {lost[:20]}",
            flush=True,
        )
        if unlimited_url:
            figures.update(
                measure_rate_limits(
                    Uploads,
                    limited_url,
                    unlimited_url,
                    key,
                    redis.url,
                    rounds=args.overhead_rounds,
                    seconds=args.overhead_seconds,
                    clients=args.uploaders,
                    counter=counter,
                )
            )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
        redis.stop()
        cluster.stop()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

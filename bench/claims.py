"""Claim benchmark: 100,000 open cases on PostgreSQL, many moderators claiming and deciding
at once through the web app served by gunicorn (the JSON claim/decide routes the case
page's script uses, logged in through the real login form, with CSRF).

    .venv/bin/python bench/claims.py [--cases 100000] [--moderators 50] [--seconds 60]
                                     [--think-ms 1000-3000] [--stress-seconds 15]

Three phases against the same server, in this order:
- baseline: one moderator alone claims and decides --baseline-decisions cases, no pause;
- crowd (the headline figures): --moderators moderators at once, each reading the case it
  was handed for a random think time (--think-ms, uniform, default 1-3 s: a real moderator
  reads a case for seconds before deciding; 1-3 s is already a hard-working crowd) between
  the claim and the decision;
- stress: as many other moderators with no think time at all, which measures the
  saturated server (2 cores shared by gunicorn, PostgreSQL and this client) and is reported
  under stress_* so nothing is hidden.

The crowd and stress moderators are spread over --client-processes load-generator processes
(default 5): 50 moderators use 50 browsers, and 50 client threads in one Python process
would add their own GIL queueing to the latencies measured. They still share the 2 cores
with the server.

Before the phases it prints EXPLAIN ANALYZE of the "next case" statement at full size (in
a transaction that is rolled back). The schema comes from the models (create_all). Prints its
figures and, last, one JSON line with cases, moderators, moderator_think_ms, claim_p50_ms,
claim_p95_ms, decisions_per_s, double_claims (must be 0; counted over all phases),
baseline_claim_p50_ms and the stress_* figures.
"""

from __future__ import annotations

import argparse
import collections
import functools
import json
import multiprocessing
import os
import random
import re
import subprocess
import sys
import tempfile
import threading
import time
from datetime import timedelta
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import func, insert, select

from bench.ingest import free_port, percentile
from tests.support.postgres import PostgresCluster
from workbench import create_app
from workbench import settings as workbench_settings
from workbench.embedded_redis import EmbeddedRedis
from workbench.extensions import db

PASSWORD = "bench passphrase 1"
COUNTRIES = ["DE", "FR", "US", "IN", "GB", "BR", "AT", "PL"]
QUEUES = ["user_reports", "hate_speech", "harassment", "spam", "trusted_flaggers"]
CSRF_META = re.compile(r'<meta name="csrf-token" content="([^"]+)"')
CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def prepare(app, cases: int, moderators: int) -> None:
    from policies.catalogue import default_catalogue
    from policies.vocabulary import PRIORITIES, PRIORITY_RANK
    from workbench.audit import Actor
    from workbench.models import Case, Item
    from workbench.models.base import utcnow
    from workbench.services.accounts.users import create_user
    from workbench.services.platforms.clients import create_client
    from workbench.services.policy.runtime import published_policies

    actor = Actor.system("bench")
    catalogue = default_catalogue()
    with app.app_context():
        db.create_all()
        published_policies(db.session, seed_if_empty=True)
        db.session.commit()
        client_id = create_client(db.session, "bench", actor).client.id
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
        rng = random.Random(7)
        now = utcnow()
        started = time.perf_counter()
        chunk = 5000
        for start in range(0, cases, chunk):
            count = min(chunk, cases - start)
            items = [
                {
                    "client_id": client_id,
                    "external_id": f"bench-{start + i}",
                    "kind": "text",
                    "author_pseudonym": f"author-{rng.randrange(20000)}",
                    "country": rng.choice(COUNTRIES),
                    "language": None,
                    "text": "bench text",
                    "status": "processed",
                    "attempts": 0,
                    "created_at": now,
                    "updated_at": now,
                }
                for i in range(count)
            ]
            ids = db.session.scalars(insert(Item).returning(Item.id, sort_by_parameter_order=True), items).all()
            rows = []
            for item_id, item in zip(ids, items):
                priority = rng.choice(PRIORITIES)
                rows.append(
                    {
                        "item_id": item_id,
                        "queue": rng.choice(QUEUES),
                        "priority": priority,
                        "priority_rank": PRIORITY_RANK[priority],
                        "status": "open",
                        "due_at": now + timedelta(minutes=rng.randrange(10, 72 * 60)),
                        "rule_jurisdiction": "GLOBAL",
                        "rule_pack_version": 1,
                        "rule_id": "global.reports.user-volume",
                        "jurisdictions": catalogue.applicable_jurisdictions(item["country"]),
                        "escalations": [],
                        "created_at": now,
                        "updated_at": now,
                        "claim_token": 0,
                        "escalated": False,
                    }
                )
            db.session.execute(insert(Case), rows)
            db.session.commit()
        print(f"inserted {cases} cases in {time.perf_counter() - started:.1f} s", flush=True)
        from sqlalchemy import text

        db.session.execute(text("ANALYZE"))
        db.session.commit()
        db.session.remove()


def log_in(base_url: str, username: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    page = session.get(f"{base_url}/login", timeout=30).text
    token = CSRF_INPUT.search(page) or CSRF_META.search(page)
    response = session.post(
        f"{base_url}/login", data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)}, timeout=30
    )
    response.raise_for_status()
    queues = session.get(f"{base_url}/queues", timeout=30)
    queues.raise_for_status()
    return session, CSRF_META.search(queues.text).group(1)


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.claims_ms: list[float] = []
        self.handed: dict[int, set[str]] = collections.defaultdict(set)  # case → moderators handed it
        self.decisions = 0
        self.errors: collections.Counter = collections.Counter()

    def error(self, kind: str) -> None:
        with self.lock:
            self.errors[kind] += 1


def moderate(
    base_url: str,
    username: str,
    stop: threading.Event,
    tally: Tally,
    start: threading.Event,
    ready: threading.Semaphore,
    max_decisions: int | None = None,
    think_ms: tuple[int, int] = (0, 0),
    seed: int = 0,
) -> None:
    try:
        session, token = log_in(base_url, username)
    except (requests.RequestException, AttributeError) as exc:
        tally.error(f"login {type(exc).__name__}")
        return
    finally:
        ready.release()
    headers = {"X-CSRFToken": token}
    rng = random.Random(seed)
    start.wait()
    if think_ms[1] > 0:  # moderators do not start in lock-step: the crowd is measured in its steady state
        stop.wait(rng.uniform(0, think_ms[1]) / 1000)
    done = 0
    while not stop.is_set() and (max_decisions is None or done < max_decisions):
        try:
            case, elapsed_ms = claim_next_case(session, base_url, headers)
        except ClaimFailed as exc:
            tally.error(str(exc))
            continue
        if case is None:
            break
        with tally.lock:
            tally.claims_ms.append(elapsed_ms)
            tally.handed[case["id"]].add(username)  # the same moderator may get their own live claim back
        if think_ms[1] > 0:
            stop.wait(rng.uniform(*think_ms) / 1000)  # reading the case; a stop still lets it decide
        in_span = not stop.is_set()  # decided after the clock stopped: done, but not counted
        failure = decide_routed(session, base_url, headers, case, "bench")
        with tally.lock:
            if failure is None:
                tally.decisions += in_span
            else:
                tally.errors[failure] += 1
        done += 1


class ClaimFailed(Exception):
    """ "Next case" did not answer 200: the message is the tally's error kind."""


def claim_next_case(session: requests.Session, base_url: str, headers: dict) -> tuple[dict | None, float]:
    """POST "next case" as the case page's script does: (the case or None, milliseconds taken)."""
    began = time.perf_counter()
    try:
        response = session.post(f"{base_url}/review/api/next", json={}, headers=headers, timeout=60)
    except requests.RequestException as exc:
        raise ClaimFailed(f"next {type(exc).__name__}") from exc
    elapsed_ms = (time.perf_counter() - began) * 1000
    if response.status_code != 200:
        raise ClaimFailed(f"next {response.status_code}")
    return response.json()["case"], elapsed_ms


def decide_routed(session: requests.Session, base_url: str, headers: dict, case: dict, note: str) -> str | None:
    """Decide `case` under its routed rule with no action: None when stored, else the error kind."""
    rule = next(r for r in case["rules"] if r["routed"])["rule"]
    try:
        decided = session.post(
            f"{base_url}/review/api/cases/{case['id']}/decide",
            headers=headers,
            timeout=60,
            json={
                "rule": rule,
                "outcome": "no_action",
                "internal_note": note,
                "user_explanation": "No violation.",
                "claim_token": case["claim_token"],
            },
        )
    except requests.RequestException as exc:
        return f"decide {type(exc).__name__}"
    return None if decided.status_code == 201 else f"decide {decided.status_code}"


def _client_process(
    base_url: str,
    crowd: list[tuple[int, str]],
    stop,
    tally_parts,
    start,
    ready,
    max_decisions: int | None,
    think_ms: tuple[int, int],
) -> None:
    """One load-generator process: a thread per moderator; its tally goes back in parts."""
    tally = Tally()
    threads = [
        threading.Thread(target=moderate, args=(base_url, name, stop, tally, start, ready, max_decisions, think_ms, n))
        for n, name in crowd
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    tally_parts.put(
        (
            tally.claims_ms,
            {case: sorted(names) for case, names in tally.handed.items()},
            tally.decisions,
            dict(tally.errors),
        )
    )


def run(
    base_url: str,
    moderators: list[str],
    seconds: float,
    max_decisions: int | None = None,
    think_ms: tuple[int, int] = (0, 0),
    cpu=lambda: 0.0,
    client_processes: int = 1,
) -> tuple[Tally, float, float]:
    """Log everyone in, start them together once all are in, stop them after `seconds` (or
    their quota). Returns the tally, the measured span and the server CPU seconds used in it.

    The moderators are spread over `client_processes` load-generator processes: 50 people use
    50 browsers, and 50 client threads in one Python process would add their own GIL queueing
    to the latencies measured."""
    context = multiprocessing.get_context("fork")
    start, stop, ready, tally_parts = context.Event(), context.Event(), context.Semaphore(0), context.Queue()
    count = max(1, min(client_processes, len(moderators)))
    groups = [list(enumerate(moderators))[i::count] for i in range(count)]
    clients = [
        context.Process(
            target=_client_process, args=(base_url, group, stop, tally_parts, start, ready, max_decisions, think_ms)
        )
        for group in groups
    ]
    for client in clients:
        client.start()
    for _ in moderators:  # logins (and their /queues page) are not part of the measurement
        ready.acquire(timeout=600)
    cpu_before = cpu()
    began = time.perf_counter()
    start.set()
    while any(c.is_alive() for c in clients) and time.perf_counter() < began + seconds:
        time.sleep(0.05)
    stop.set()
    span = time.perf_counter() - began
    cpu_used = cpu() - cpu_before
    tally = Tally()
    for _ in clients:  # read before join: a child blocks until its queued tally is taken
        claims_ms, handed, decisions, errors = tally_parts.get(timeout=600)
        tally.claims_ms.extend(claims_ms)
        for case, names in handed.items():
            tally.handed[case].update(names)
        tally.decisions += decisions
        tally.errors.update(errors)
    for client in clients:
        client.join()
    return tally, max(span, 1e-9), cpu_used


def explain_claim(app, username: str) -> list[str]:
    """EXPLAIN ANALYZE of the statement "next case" runs for `username`, rolled back."""
    from sqlalchemy import update
    from sqlalchemy.dialects import postgresql

    from workbench.models import Case, User
    from workbench.models.base import utcnow
    from workbench.services.review import claims

    with app.app_context():
        user = db.session.scalar(select(User).where(User.username == username))
        now = utcnow()
        candidate = (
            claims._candidate_query(user, now, None, None)
            .with_for_update(of=Case, skip_locked=True)
            .subquery("candidate")
        )
        statement = (
            update(Case)
            .where(Case.id == candidate.c.id)
            .values(**claims._claim_values(user, now))
            .returning(Case.id, candidate.c.previous)
        )
        sql = str(statement.compile(dialect=postgresql.dialect(), compile_kwargs={"literal_binds": True}))
        from sqlalchemy import text

        lines = [row[0] for row in db.session.execute(text("EXPLAIN (ANALYZE, BUFFERS) " + sql))]
        db.session.rollback()
        db.session.remove()
    return lines


def server_cpu_s(root_pids: list[int]) -> float:
    """CPU seconds (user + system) used so far by these processes and all their descendants
    (gunicorn's workers, PostgreSQL's backends), read from /proc. On a machine shared with
    other work the wall-clock latencies move with the neighbours; the CPU a claim and a
    decision cost does not."""
    stats = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as handle:
                    fields = handle.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            stats[int(entry)] = (int(fields[1]), int(fields[11]) + int(fields[12]))  # ppid, utime + stime
    children = collections.defaultdict(list)
    for pid, (ppid, _) in stats.items():
        children[ppid].append(pid)
    total, todo = 0, [pid for pid in root_pids if pid in stats]
    while todo:
        pid = todo.pop()
        total += stats[pid][1]
        todo.extend(children[pid])
    return total / os.sysconf("SC_CLK_TCK")


def figures_of(tally: Tally, span: float, cpu_s: float, prefix: str = "") -> dict:
    claims_ms = tally.claims_ms or [float("nan")]
    return {
        f"{prefix}claims": len(tally.claims_ms),
        f"{prefix}claim_p50_ms": round(percentile(claims_ms, 0.5), 1),
        f"{prefix}claim_p95_ms": round(percentile(claims_ms, 0.95), 1),
        f"{prefix}decisions_per_s": round(tally.decisions / span, 1),
        # gunicorn + PostgreSQL CPU per claim-and-decide: the figure the neighbours do not move
        f"{prefix}server_cpu_ms_per_decision": round(1000 * cpu_s / max(tally.decisions, 1), 1),
    }


def wait_for(base_url: str) -> None:
    for _ in range(300):
        try:
            if requests.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                return
        except requests.RequestException:
            pass
        time.sleep(0.2)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--moderators", type=int, default=50)
    parser.add_argument(
        "--seconds",
        type=float,
        default=60.0,
        help="the crowd phase: ~25 claims/s, so 60 s gives ~1,500 claims for the p95",
    )
    parser.add_argument("--think-ms", default="1000-3000", help="per-case reading time, uniform: MIN-MAX ms")
    parser.add_argument("--stress-seconds", type=float, default=15.0, help="0 skips the zero-think-time phase")
    parser.add_argument("--baseline-decisions", type=int, default=100)
    # 2 cores: CPU-bound Python needs about one process per core; a few threads each cover
    # the time a request waits on PostgreSQL (more only add GIL contention).
    parser.add_argument("--gunicorn-workers", type=int, default=2)
    parser.add_argument("--gunicorn-threads", type=int, default=4)
    parser.add_argument(
        "--client-processes", type=int, default=5, help="load-generator processes the moderators are spread over"
    )
    args = parser.parse_args()
    low, _, high = args.think_ms.partition("-")
    think_ms = (int(low), int(high or low))

    folder = Path(tempfile.mkdtemp(prefix="wb-bench-claims-"))
    cluster = PostgresCluster().start()
    redis = EmbeddedRedis(str(folder / "redis.sock"), str(folder / "redis"), persistent=False).start()
    processes = []
    figures = {}
    try:
        url = cluster.create_database("claims")
        settings = {
            "DATABASE_URL": url,
            "REDIS_URL": redis.url,
            "WORKBENCH_INSTANCE_PATH": str(folder),
            "WORKBENCH_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000",
            "SECRET_KEY": "bench-secret",
            "WORKBENCH_LOGIN_MAX_FAILURES_PER_CLIENT": "1000",
        }
        os.environ.update(settings)
        env = {**os.environ, **settings}
        app = create_app()
        prepare(app, args.cases, 2 * args.moderators)
        try:
            print("EXPLAIN ANALYZE of next case:\n  " + "\n  ".join(explain_claim(app, "mod0")), flush=True)
        except Exception as exc:  # noqa: BLE001 - an older checkout without the one-statement claim
            print(f"EXPLAIN skipped: {exc!r}", flush=True)
        port = free_port()
        log = open(folder / "gunicorn.log", "w")
        # --timeout: a worker starved of CPU by the neighbours must not be killed mid-request;
        # --keep-alive past the longest think time, or a moderator's next POST races the server
        # closing the idle connection (a ConnectionError that requests does not retry).
        processes.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "--bind",
                    f"127.0.0.1:{port}",
                    "--workers",
                    str(args.gunicorn_workers),
                    "--threads",
                    str(args.gunicorn_threads),
                    "--backlog",
                    "256",
                    "--timeout",
                    "120",
                    "--keep-alive",
                    str(max(5, think_ms[1] // 1000 + 5)),
                    "wsgi:app",
                ],
                cwd=ROOT,
                env=env,
                stdout=log,
                stderr=log,
            )
        )
        base_url = f"http://127.0.0.1:{port}"
        wait_for(base_url)
        postmaster = int((Path(cluster.data) / "postmaster.pid").read_text().split()[0])
        cpu = functools.partial(server_cpu_s, [processes[0].pid, postmaster])
        baseline, _, baseline_cpu = run(base_url, ["mod0"], 3600, max_decisions=args.baseline_decisions, cpu=cpu)
        crowd, span, crowd_cpu = run(
            base_url,
            [f"mod{n}" for n in range(1, args.moderators + 1)],
            args.seconds,
            think_ms=think_ms,
            cpu=cpu,
            client_processes=args.client_processes,
        )
        tallies = [baseline, crowd]
        stress = None
        if args.stress_seconds > 0:
            stress, stress_span, stress_cpu = run(
                base_url,
                [f"mod{n}" for n in range(args.moderators + 1, 2 * args.moderators + 1)],
                args.stress_seconds,
                cpu=cpu,
                client_processes=args.client_processes,
            )
            tallies.append(stress)
        with app.app_context():
            from workbench.models import Decision

            repeated = db.session.execute(
                select(Decision.case_id)
                .where(Decision.automated.is_(False))
                .group_by(Decision.case_id)
                .having(func.count() > 1)
            ).all()
            db.session.remove()
            db.engine.dispose()
        handed: dict[int, set[str]] = collections.defaultdict(set)
        for tally in tallies:
            for case_id, names in tally.handed.items():
                handed[case_id] |= names
        figures = {
            "cases": args.cases,
            "moderators": args.moderators,
            "moderator_think_ms": list(think_ms),
            **figures_of(crowd, span, crowd_cpu),
            "double_claims": sum(1 for names in handed.values() if len(names) > 1) + len(repeated),
            "baseline_claim_p50_ms": round(percentile(baseline.claims_ms, 0.5), 1),
            "baseline_claim_p95_ms": round(percentile(baseline.claims_ms, 0.95), 1),
            "baseline_server_cpu_ms_per_decision": round(1000 * baseline_cpu / max(baseline.decisions, 1), 1),
        }
        if stress is not None:
            figures.update(figures_of(stress, stress_span, stress_cpu, "stress_"))
        figures["gunicorn"] = f"{args.gunicorn_workers}x{args.gunicorn_threads} gthread"
        figures["client_processes"] = args.client_processes
        errors = collections.Counter()
        for tally in tallies:
            errors.update(tally.errors)
        figures["errors"] = dict(errors)
        log.flush()
        timeouts = (folder / "gunicorn.log").read_text(errors="replace").count("WORKER TIMEOUT")
        if timeouts:
            figures["gunicorn_worker_timeouts"] = timeouts
        figures["load_average_1m"] = round(os.getloadavg()[0], 1)  # how busy the shared machine was
        print(
            f"crowd: {len(crowd.claims_ms)} claims in {span:.1f} s; baseline: {len(baseline.claims_ms)} claims"
            + (f"; stress: {len(stress.claims_ms)} claims" if stress is not None else ""),
            flush=True,
        )
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
        redis.stop()
        cluster.stop()
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

"""Claim benchmark: 100,000 open cases on PostgreSQL, many moderators claiming and deciding
at once through the web app served by gunicorn (the JSON claim/decide routes the case
page's script uses, logged in through the real login form, with CSRF).

Baseline in the same run: one moderator alone claiming and deciding, before the crowd.

    .venv/bin/python bench/claims.py [--cases 100000] [--moderators 50] [--seconds 20]

The schema comes from the models (create_all) until the migration for the claim columns
exists. Prints its figures and, last, one JSON line with cases, moderators, claim_p50_ms,
claim_p95_ms, decisions_per_s, double_claims (must be 0) and baseline_claim_p50_ms.
"""
from __future__ import annotations

import argparse
import collections
import json
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

from sqlalchemy import func, insert, select  # noqa: E402

from bench.ingest import free_port, percentile  # noqa: E402
from tests.support.postgres import PostgresCluster  # noqa: E402
from workbench import create_app  # noqa: E402
from workbench.embedded_redis import EmbeddedRedis  # noqa: E402
from workbench.extensions import db  # noqa: E402

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
    from workbench.services.api_clients import create_client
    from workbench.services.policy_runtime import published_policies
    from workbench.services.users import create_user
    actor = Actor.system("bench")
    catalogue = default_catalogue()
    with app.app_context():
        db.create_all()
        published_policies(db.session, seed_if_empty=True)
        db.session.commit()
        client_id = create_client(db.session, "bench", actor).client.id
        for n in range(moderators + 1):
            create_user(db.session, f"mod{n}", "moderator", PASSWORD, actor, jurisdictions=["GLOBAL"],
                        languages=["*"])
        rng = random.Random(7)
        now = utcnow()
        started = time.perf_counter()
        chunk = 5000
        for start in range(0, cases, chunk):
            count = min(chunk, cases - start)
            items = [{"client_id": client_id, "external_id": f"bench-{start + i}", "kind": "text",
                      "author_pseudonym": f"author-{rng.randrange(20000)}", "country": rng.choice(COUNTRIES),
                      "language": None, "text": "bench text", "status": "processed", "attempts": 0,
                      "created_at": now, "updated_at": now} for i in range(count)]
            ids = db.session.scalars(insert(Item).returning(Item.id, sort_by_parameter_order=True), items).all()
            rows = []
            for item_id, item in zip(ids, items):
                priority = rng.choice(PRIORITIES)
                rows.append({"item_id": item_id, "queue": rng.choice(QUEUES), "priority": priority,
                             "priority_rank": PRIORITY_RANK[priority], "status": "open",
                             "due_at": now + timedelta(minutes=rng.randrange(10, 72 * 60)),
                             "rule_jurisdiction": "GLOBAL", "rule_pack_version": 1,
                             "rule_id": "global.reports.user-volume",
                             "jurisdictions": catalogue.applicable_jurisdictions(item["country"]),
                             "escalations": [], "created_at": now, "updated_at": now, "claim_token": 0,
                             "escalated": False})
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
    response = session.post(f"{base_url}/login", data={"username": username, "password": PASSWORD,
                                                       "csrf_token": token.group(1)}, timeout=30)
    response.raise_for_status()
    queues = session.get(f"{base_url}/queues", timeout=30)
    queues.raise_for_status()
    return session, CSRF_META.search(queues.text).group(1)


class Tally:
    def __init__(self):
        self.lock = threading.Lock()
        self.claims_ms: list[float] = []
        self.handed: collections.Counter = collections.Counter()
        self.decisions = 0
        self.errors: collections.Counter = collections.Counter()


def moderate(base_url: str, username: str, stop: threading.Event, tally: Tally, start: threading.Event,
             max_decisions: int | None = None) -> None:
    session, token = log_in(base_url, username)
    headers = {"X-CSRFToken": token}
    start.wait()
    done = 0
    while not stop.is_set() and (max_decisions is None or done < max_decisions):
        began = time.perf_counter()
        response = session.post(f"{base_url}/review/api/next", json={}, headers=headers, timeout=60)
        elapsed_ms = (time.perf_counter() - began) * 1000
        if response.status_code != 200:
            with tally.lock:
                tally.errors[f"next {response.status_code}"] += 1
            continue
        case = response.json()["case"]
        if case is None:
            break
        rule = next(r for r in case["rules"] if r["routed"])["rule"]
        decided = session.post(f"{base_url}/review/api/cases/{case['id']}/decide", headers=headers, timeout=60, json={
            "rule": rule, "outcome": "no_action", "internal_note": "bench", "user_explanation": "No violation.",
            "claim_token": case["claim_token"]})
        with tally.lock:
            tally.claims_ms.append(elapsed_ms)
            tally.handed[case["id"]] += 1
            if decided.status_code == 201:
                tally.decisions += 1
            else:
                tally.errors[f"decide {decided.status_code}"] += 1
        done += 1


def run(base_url: str, moderators: list[str], seconds: float, max_decisions: int | None = None) -> tuple[Tally, float]:
    """Log everyone in, start them together, stop them after `seconds` (or their quota)."""
    tally, start, stop = Tally(), threading.Event(), threading.Event()
    threads = [threading.Thread(target=moderate, args=(base_url, name, stop, tally, start, max_decisions))
               for name in moderators]
    for thread in threads:
        thread.start()
    time.sleep(1.0 + 0.1 * len(moderators))  # everyone logged in before the clock starts
    began = time.perf_counter()
    start.set()
    while any(t.is_alive() for t in threads) and time.perf_counter() < began + seconds:
        time.sleep(0.05)
    stop.set()
    span = time.perf_counter() - began
    for thread in threads:
        thread.join()
    return tally, max(span, 1e-9)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--moderators", type=int, default=50)
    parser.add_argument("--seconds", type=float, default=20.0)
    parser.add_argument("--baseline-decisions", type=int, default=100)
    parser.add_argument("--gunicorn-workers", type=int, default=4)
    parser.add_argument("--gunicorn-threads", type=int, default=8)
    args = parser.parse_args()

    folder = Path(tempfile.mkdtemp(prefix="wb-bench-claims-"))
    cluster = PostgresCluster().start()
    redis = EmbeddedRedis(str(folder / "redis.sock"), str(folder / "redis"), persistent=False).start()
    processes = []
    try:
        url = cluster.create_database("claims")
        settings = {"DATABASE_URL": url, "REDIS_URL": redis.url, "WORKBENCH_INSTANCE_PATH": str(folder),
                    "WORKBENCH_PASSWORD_HASH_METHOD": "pbkdf2:sha256:1000", "SECRET_KEY": "bench-secret",
                    "WORKBENCH_LOGIN_MAX_FAILURES_PER_CLIENT": "1000"}
        os.environ.update(settings)
        env = {**os.environ, **settings}
        app = create_app()
        prepare(app, args.cases, args.moderators)
        port = free_port()
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers",
             str(args.gunicorn_workers), "--threads", str(args.gunicorn_threads), "wsgi:app"],
            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        base_url = f"http://127.0.0.1:{port}"
        for _ in range(300):
            try:
                if requests.get(f"{base_url}/healthz", timeout=1).status_code == 200:
                    break
            except requests.RequestException:
                pass
            time.sleep(0.2)
        baseline, _ = run(base_url, ["mod0"], 3600, max_decisions=args.baseline_decisions)
        crowd, span = run(base_url, [f"mod{n}" for n in range(1, args.moderators + 1)], args.seconds)
        with app.app_context():
            from workbench.models import Decision
            repeated = db.session.execute(select(Decision.case_id).where(Decision.automated.is_(False))
                                          .group_by(Decision.case_id).having(func.count() > 1)).all()
            db.session.remove()
            db.engine.dispose()
        handed_twice = sum(1 for c in list(crowd.handed.values()) + list(baseline.handed.values()) if c > 1)
        handed_twice += sum(1 for case_id in crowd.handed if case_id in baseline.handed)
        figures = {
            "cases": args.cases, "moderators": args.moderators,
            "claims": len(crowd.claims_ms),
            "claim_p50_ms": round(percentile(crowd.claims_ms, 0.5), 1),
            "claim_p95_ms": round(percentile(crowd.claims_ms, 0.95), 1),
            "decisions_per_s": round(crowd.decisions / span, 1),
            "double_claims": handed_twice + len(repeated),
            "baseline_claim_p50_ms": round(percentile(baseline.claims_ms, 0.5), 1),
            "baseline_claim_p95_ms": round(percentile(baseline.claims_ms, 0.95), 1),
            "errors": dict(crowd.errors + baseline.errors),
        }
        print(f"crowd: {len(crowd.claims_ms)} claims in {span:.1f} s; baseline: {len(baseline.claims_ms)} claims",
              flush=True)
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

"""Backtest benchmark: a draft GLOBAL pack against 100,000 stored items, compared with the
published version, through the real service (chunked loading, progress commits, comparison).

Baseline in the same run: the raw cost of loading the same items' facts (items, signals,
hash matches with their banks, reports: the same set-based queries and ItemFacts) without
evaluating anything. Load-only passes and backtests alternate (--rounds); the best of each counts.
The first backtest also compiles the published packs (a worker does that once per process).

Items have audiences (most visible everywhere, some in one or a few countries) and authority
orders say where they were issued, so packs apply by audience, issuer and establishment. A
second comparison evaluates the same loaded facts with the default packs twice, packs chosen by
the uploader's country (how packs applied before) and by the applicability model (now), to show
what the model costs.

    .venv/bin/python bench/backtest.py [--items 100000] [--postgres]

Prints its figures and, last, one JSON line with items, seconds, items_per_s,
load_only_items_per_s, overhead (backtest time / load time), "applicability" (evaluation
seconds by uploader country and by audience), and the same for PostgreSQL under "postgresql"
when --postgres is given.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert

from policies import PolicySet, plan_decision
from workbench import create_app
from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import ApiClient, BankEntry, HashBank, HashMatch, Item, ItemSignal, PolicyDraft, Report
from workbench.models.base import utcnow

BENCH_ACTOR = Actor.system("bench")
COUNTRIES = (
    ["DE"] * 15
    + ["FR"] * 10
    + ["GB"] * 10
    + ["US"] * 25
    + ["IN"] * 15
    + ["AU"] * 5
    + ["BR"] * 10
    + ["ES", "IT", "PL", "NL", "JP"] * 2
)
TEXT_LABELS = [
    "toxicity",
    "severe_toxicity",
    "obscene",
    "threat",
    "insult",
    "identity_attack",
    "sexual_explicit",
    "profanity",
]
IMAGE_LABELS = [
    "exposed",
    "FEMALE_BREAST_EXPOSED",
    "BUTTOCKS_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
]
BANKS = [
    ("csam-list", "csam", 0.001),
    ("tvec-list", "terrorism", 0.003),
    ("stopncii", "ncii", 0.001),
    ("rights-refs", "copyright", 0.01),
    ("spam-hashes", "spam", 0.005),
]
# Audiences: most items are shown everywhere (None); the rest in their own country or a region.
AUDIENCES = [None] * 6 + ["own", "own", ["US", "CA"], ["DE", "AT", "CH"]]
CATEGORIES = [
    "illegal_hate_speech",
    "terrorism",
    "csam",
    "ncii",
    "harassment",
    "threat",
    "nudity",
    "scam",
    "spam",
    "other",
]


def config_for(url: str, folder: Path) -> dict:
    return {
        "SQLALCHEMY_DATABASE_URI": url,
        "INSTANCE_PATH": str(folder / "instance"),
        "REDIS_URL": "unix:///nonexistent/redis.sock",
        "REDIS_EMBEDDED": False,
        "SECRET_KEY": "bench",
        "WORKBENCH_PSEUDONYM_KEY": "bench",
        "WORKBENCH_BLOB_DIR": str(folder / "blobs"),
    }


def score(rng: random.Random) -> float:
    return round(rng.random() ** 5, 4)  # most scores low, a tail of high ones, as classifiers give


def fill(app, count: int, seed: int = 7) -> dict:
    """Bulk-inserts `count` items with their signals, matches and reports."""
    rng = random.Random(seed)
    started = time.perf_counter()
    with app.app_context():
        db.create_all()
        with db.engine.begin() as conn:
            client_id = conn.execute(
                insert(ApiClient).returning(ApiClient.id),
                {"name": "bench", "key_prefix": "bench", "key_hash": "0" * 64},
            ).scalar_one()
            banks = []
            for name, kind, share in BANKS:
                bank_id = conn.execute(
                    insert(HashBank).returning(HashBank.id), {"name": name, "kind": kind}
                ).scalar_one()
                entry_id = conn.execute(
                    insert(BankEntry).returning(BankEntry.id),
                    {"bank_id": bank_id, "algorithm": "pdq", "value": f"{bank_id:064x}"},
                ).scalar_one()
                banks.append((bank_id, entry_id, share))
        counts = {"signals": 0, "matches": 0, "reports": 0}
        start = utcnow() - timedelta(days=30)
        batch = 10_000
        for first in range(0, count, batch):
            items, signals, matches, reports = [], [], [], []
            with db.engine.begin() as conn:
                for index in range(first, min(count, first + batch)):
                    kind = "text" if rng.random() < 0.7 else "image"
                    created = start + timedelta(seconds=index * 25)
                    country = rng.choice(COUNTRIES)
                    audience = rng.choice(AUDIENCES)
                    items.append(
                        {
                            "client_id": client_id,
                            "external_id": f"bench-{index}",
                            "kind": kind,
                            "author_pseudonym": f"{index % 5000:064x}",
                            "country": country,
                            "visible_in": [country] if audience == "own" else audience,
                            "account_age_days": rng.randint(0, 2000) if rng.random() < 0.5 else None,
                            "status": "processed",
                            "stage": "route",
                            "created_at": created,
                            "updated_at": created,
                        }
                    )
                ids = conn.execute(insert(Item).returning(Item.id, sort_by_parameter_order=True), items).scalars().all()
                for item_id, item in zip(ids, items):
                    for label in TEXT_LABELS if item["kind"] == "text" else IMAGE_LABELS:
                        signals.append(
                            {
                                "item_id": item_id,
                                "classifier": "bench",
                                "classifier_version": "1",
                                "label": label,
                                "score": score(rng),
                            }
                        )
                    for bank_id, entry_id, share in banks:
                        if rng.random() < share:
                            matches.append(
                                {
                                    "item_id": item_id,
                                    "bank_id": bank_id,
                                    "entry_id": entry_id,
                                    "algorithm": "pdq",
                                    "distance": rng.randint(0, 30),
                                }
                            )
                    if rng.random() < 0.05:
                        for _ in range(rng.choice((1, 1, 1, 2, 3))):
                            source = rng.choices(["user", "trusted_flagger", "authority_order"], [85, 10, 5])[0]
                            order = source == "authority_order"
                            reports.append(
                                {
                                    "item_id": item_id,
                                    "client_id": client_id,
                                    "source": source,
                                    "category": rng.choice(CATEGORIES),
                                    "received_at": item["created_at"],
                                    "issuing_jurisdiction": rng.choice(COUNTRIES) if order else None,
                                    "authority_rank": "court" if order else None,
                                }
                            )
                for model, rows in ((ItemSignal, signals), (HashMatch, matches), (Report, reports)):
                    if rows:
                        conn.execute(insert(model), rows)
                counts["signals"] += len(signals)
                counts["matches"] += len(matches)
                counts["reports"] += len(reports)
    counts["fill_seconds"] = round(time.perf_counter() - started, 1)
    return counts


DRAFT_EDITS = [
    ('signal: "threat >= 0.8"', 'signal: "threat >= 0.7"'),
    ("      value: 0.8\n", "      value: 0.75\n"),  # identity-attack threshold
    ('signal: "severe_toxicity >= 0.9"', 'signal: "severe_toxicity >= 0.85"'),
    (
        "  - id: global.toxicity.demote-trial\n    description: Trial - demote very toxic text without review."
        " Shadow until the backtest is signed off.\n    mode: shadow\n",
        "  - id: global.toxicity.demote-trial\n    description: Demote very toxic text without review.\n"
        "    mode: enforce\n",
    ),
]


def prepare_draft(app) -> int:
    from workbench.services.policy import packs as policy_packs

    with app.app_context():
        policy_packs.ensure_default_packs(db.session, BENCH_ACTOR)
        pack = policy_packs.get_pack(db.session, "GLOBAL")
        draft = policy_packs.create_draft(db.session, pack, BENCH_ACTOR)
        text = draft.text
        for old, new in DRAFT_EDITS:
            assert old in text, old
            text = text.replace(old, new)
        saved = policy_packs.save_draft(db.session, draft, text, BENCH_ACTOR)
        assert saved.report.valid, saved.report.issues
        return draft.id


def load_only(app, count: int) -> float:
    """Seconds to load every in-scope item's facts, chunk by chunk, exactly as the backtest does."""
    from workbench.services.policy.backtests import BACKTEST_CHUNK
    from workbench.services.policy.facts import ItemScope, item_ids_in_scope, iter_fact_chunks

    with app.app_context():
        started = time.perf_counter()
        ids = item_ids_in_scope(db.session, ItemScope(last_n=count))
        loaded = 0
        for chunk in iter_fact_chunks(db.session, ids, BACKTEST_CHUNK):
            loaded += len(chunk)
            db.session.commit()  # the backtest commits its progress per chunk too
        elapsed = time.perf_counter() - started
        db.session.remove()
    assert loaded == count, (loaded, count)
    return elapsed


def load_all_facts(app, count: int) -> list:
    from workbench.services.policy.backtests import BACKTEST_CHUNK
    from workbench.services.policy.facts import ItemScope, item_ids_in_scope, iter_fact_chunks

    with app.app_context():
        ids = item_ids_in_scope(db.session, ItemScope(last_n=count))
        facts = [f for chunk in iter_fact_chunks(db.session, ids, BACKTEST_CHUNK) for f in chunk.values()]
        db.session.remove()
    return facts


def by_uploader_country(policies: PolicySet, facts: list) -> float:
    """The model before audiences: GLOBAL, the EU for EU/EEA uploads, the uploader's country."""
    started = time.perf_counter()
    chosen: dict = {}
    for f in facts:
        packs = chosen.get(f.country)
        if packs is None:
            packs = chosen[f.country] = policies.applicable_packs(f.country)
        plan_decision(f, packs, policies.catalogue, ())
    return time.perf_counter() - started


def by_audience(policies: PolicySet, facts: list) -> float:
    started = time.perf_counter()
    for f in facts:
        policies.decide(f)
    return time.perf_counter() - started


def backtest(app, draft_id: int, count: int) -> tuple[float, dict]:
    from workbench.services.policy.backtests import BacktestRequest, request_backtest, run_backtest

    with app.app_context():
        draft = db.session.get(PolicyDraft, draft_id)
        backtest_id = request_backtest(db.session, draft, BENCH_ACTOR, BacktestRequest(last_n=count)).id
        started = time.perf_counter()
        done = run_backtest(db.session, backtest_id, establishments=())
        elapsed = time.perf_counter() - started
        results = done.results
        db.session.remove()
    return elapsed, results


def measure(url: str, folder: Path, count: int, backend: str, rounds: int) -> dict:
    app = create_app(config_for(url, folder))
    counts = fill(app, count)
    print(
        f"[{backend}] stored {count} items, {counts['signals']} signals, {counts['matches']} matches, "
        f"{counts['reports']} reports in {counts['fill_seconds']} s",
        flush=True,
    )
    draft_id = prepare_draft(app)
    loads, runs = [], []
    for _ in range(rounds):  # interleaved, so that both see the same machine (2 shared cores)
        loads.append(load_only(app, count))
        seconds, results = backtest(app, draft_id, count)
        runs.append(seconds)
        print(f"[{backend}] load only {loads[-1]:.2f} s, backtest {seconds:.2f} s", flush=True)
    load, seconds = min(loads), min(runs)
    facts = load_all_facts(app, count)
    policies = PolicySet.defaults(establishments=["US"])
    before, after = [], []
    for _ in range(rounds):  # interleaved, as above
        before.append(by_uploader_country(policies, facts))
        after.append(by_audience(policies, facts))
    applicability = {"uploader_country_s": round(min(before), 2), "audience_s": round(min(after), 2)}
    print(
        f"[{backend}] evaluation only, {len(facts)} items: packs by uploader country "
        f"{applicability['uploader_country_s']} s, by audience/issuer/establishment {applicability['audience_s']} s",
        flush=True,
    )
    figures = {
        "backend": backend,
        "items": results["items"],
        "seconds": round(seconds, 2),
        "items_per_s": round(results["items"] / seconds),
        "load_only_seconds": round(load, 2),
        "load_only_items_per_s": round(count / load),
        "overhead": round(seconds / load, 2),
        "applicability": applicability,
        "rounds": {"load_only_s": [round(x, 2) for x in loads], "backtest_s": [round(x, 2) for x in runs]},
        "planned": results["planned"],
        "changed": results["changed"]["count"],
        **{k: v for k, v in counts.items() if k != "fill_seconds"},
    }
    print(
        f"[{backend}] best of {rounds}: backtest {figures['seconds']} s ({figures['items_per_s']} items/s), load "
        f"only {figures['load_only_seconds']} s; overhead {figures['overhead']}x; {figures['changed']} items change "
        f"outcome, {figures['planned']} planned twice",
        flush=True,
    )
    with app.app_context():
        db.engine.dispose()
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=2, help="load-only and backtest runs, interleaved; best counts")
    parser.add_argument("--postgres", action="store_true", help="also run on a throwaway PostgreSQL cluster")
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="wb-bench-backtest-"))
    figures = measure(f"sqlite:///{folder / 'bench.db'}", folder, args.items, "sqlite", args.rounds)
    if args.postgres:
        from tests.support.postgres import PostgresCluster

        cluster = PostgresCluster().start()
        try:
            pg_folder = folder / "pg"
            pg_folder.mkdir()
            figures["postgresql"] = measure(
                cluster.create_database("bench_backtest"), pg_folder, args.items, "postgresql", args.rounds
            )
        finally:
            cluster.stop()
    print(json.dumps(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""Hash-bank import and matcher benchmark, on SQLite and on PostgreSQL.

1. Imports an HMA CSV of N PDQ hashes (plus 1% bad lines and 1% repeats) through the real
   chunked import (parse, dedupe, insert, bad lines, audit event and change-feed row per
   chunk). Baseline in the same run: the same rows inserted by one bare executemany
   into an empty table.
   Also reports the longest single chunk transaction and the process's peak RSS growth.
   (The baseline runs in a database of its own, after the rest.)
2. Builds a worker's matcher from those N entries in the database. Baseline: building the
   same HammingIndex from an in-memory array.
3. Applies one added and one disabled entry through the change feed (poll + reload), the
   cost a worker pays per change instead of a rebuild.

    .venv/bin/python bench/bank_import.py [--lines 200000]

Prints its figures and, last, one JSON line: {"sqlite": {...}, "postgresql": {...}}.
"""

from __future__ import annotations

import argparse
import io
import json
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert

from classifiers.hashing.index import HammingIndex
from tests.support.postgres import PostgresCluster
from workbench import create_app
from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import BankEntry
from workbench.models.base import utcnow

ACTOR = Actor.system("bench")


def make_file(lines: int, seed: int = 7) -> tuple[bytes, np.ndarray]:
    rng = np.random.default_rng(seed)
    unique = rng.integers(0, 256, (lines, 32), dtype=np.uint8)
    out = io.StringIO()
    out.write("signal_type,signal_str,collab,category,tags\n")
    for index, row in enumerate(unique):
        if index % 100 == 1:
            out.write("pdq,not-a-hash,bench,,\n")  # 1% bad lines
        elif index % 100 == 2:
            out.write(f"pdq,{unique[index - 2].tobytes().hex()},bench,,repeat\n")  # 1% repeats
        else:
            out.write(f"pdq,{row.tobytes().hex()},bench,INVESTIGATION_SEED,t{index % 7}\n")
    return out.getvalue().encode(), unique


def _status_mb(field: str) -> float:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def reset_peak_rss() -> float:
    """Start a new peak-RSS measurement (Linux: clear_refs 5); returns the RSS now."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass
    return _status_mb("VmRSS")


def peak_rss_mb() -> float:
    return _status_mb("VmHWM")


def bare_insert(url: str, folder: Path, unique: np.ndarray) -> float:
    """Baseline, in a database of its own: the same rows by one executemany, nothing else."""
    from workbench.models import HashBank

    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder),
            "REDIS_URL": "unix:///nonexistent",
            "REDIS_EMBEDDED": False,
            "SECRET_KEY": "bench",
            "WORKBENCH_PSEUDONYM_KEY": "bench",
        }
    )
    with app.app_context():
        db.create_all()
        bank = HashBank(name="baseline", kind="other", created_at=utcnow(), updated_at=utcnow())
        db.session.add(bank)
        db.session.commit()
        rows = [
            {
                "bank_id": bank.id,
                "algorithm": "pdq",
                "value": row.tobytes().hex(),
                "note": "",
                "source": "bench",
                "added_by": "bench",
                "added_at": utcnow(),
                "tags": "",
                "category": "",
                "descriptor_id": "",
                "external_added_on": "",
            }
            for row in unique
        ]
        started = time.perf_counter()
        db.session.execute(insert(BankEntry), rows)
        db.session.commit()
        elapsed = time.perf_counter() - started
        db.session.remove()
        db.engine.dispose()
    return elapsed


def run_backend(name: str, url: str, baseline_url: str, args) -> dict:
    from workbench.jobs.bank_imports import import_store
    from workbench.services.banks.banks import create_bank, parse_bank_fields
    from workbench.services.banks.entries import EntrySpec, add_entries, set_entry_disabled
    from workbench.services.banks.imports import create_import, run_import
    from workbench.services.banks.matcher import BankMatcher

    folder = Path(tempfile.mkdtemp(prefix=f"wb-bench-banks-{name}-"))
    app = create_app(
        {
            "SQLALCHEMY_DATABASE_URI": url,
            "INSTANCE_PATH": str(folder),
            "REDIS_URL": "unix:///nonexistent",
            "REDIS_EMBEDDED": False,
            "SECRET_KEY": "bench",
            "WORKBENCH_PSEUDONYM_KEY": "bench",
            "WORKBENCH_IMPORT_DIR": str(folder / "imports"),
        }
    )
    data, unique = make_file(args.lines)
    with app.app_context():
        db.create_all()
        bank = create_bank(db.session, parse_bank_fields({"name": "bench", "kind": "other"}, partial=False), ACTOR)
        rss_before = reset_peak_rss()
        chunk_times: list[float] = []
        last = [time.perf_counter()]

        def progress(_state):
            now = time.perf_counter()
            chunk_times.append(now - last[0])
            last[0] = now

        started = time.perf_counter()
        bank_import = create_import(
            db.session,
            bank,
            io.BytesIO(data),
            filename="bench.csv",
            fmt="hma_csv",
            algorithm=None,
            source="",
            actor=ACTOR,
            store=import_store(app),
            max_bytes=len(data) + 1,
        )
        last[0] = time.perf_counter()
        result = run_import(db.session, bank_import.id, import_store(app), chunk_lines=args.chunk, progress=progress)
        import_s = time.perf_counter() - started
        counts = {
            "lines": result.total_lines,
            "added": result.added,
            "duplicates_merged": result.duplicates_merged,
            "bad_lines": result.error_count,
        }
        rss_growth = peak_rss_mb() - rss_before

        matcher = BankMatcher(db.engine, poll_interval_s=0.5)
        started = time.perf_counter()
        matcher.build()
        build_s = time.perf_counter() - started
        pure = HammingIndex(256)
        started = time.perf_counter()
        pure.build(np.arange(len(unique)), unique)
        pure_build_s = time.perf_counter() - started

        feed_ms = []
        for seed in range(args.changes):
            value = np.random.default_rng(1000 + seed).integers(0, 256, 32, dtype=np.uint8).tobytes().hex()
            added = add_entries(db.session, bank, [EntrySpec("pdq", value)], ACTOR)
            started = time.perf_counter()
            matcher.refresh(force=True)
            feed_ms.append((time.perf_counter() - started) * 1000)
            assert matcher.candidates("pdq", value)[0][1] == 0
            set_entry_disabled(db.session, bank, added.added[0].id, True, ACTOR)
            started = time.perf_counter()
            matcher.refresh(force=True)
            feed_ms.append((time.perf_counter() - started) * 1000)
            assert not matcher.candidates("pdq", value) or matcher.candidates("pdq", value)[0][1] != 0
        db.session.remove()
        db.engine.dispose()
    baseline_s = bare_insert(baseline_url, folder, unique)
    figures = {
        **counts,
        "chunk_lines": args.chunk,
        "import_s": round(import_s, 2),
        "import_lines_per_s": round(counts["lines"] / import_s),
        "baseline_insert_s": round(baseline_s, 2),
        "import_vs_bare_insert": round(import_s / baseline_s, 2),
        "max_chunk_tx_s": round(max(chunk_times), 3),
        "slowest_chunk": chunk_times.index(max(chunk_times)) + 1,
        "chunks": len(chunk_times),
        "median_chunk_tx_s": round(statistics.median(chunk_times), 3),
        "import_peak_rss_growth_mb": round(rss_growth, 1),
        "matcher_build_s": round(build_s, 2),
        "index_only_build_s": round(pure_build_s, 2),
        "matcher_memory_mb": round(sum(i.memory_bytes for i in matcher._indexes.values()) / 1e6, 1),
        "feed_apply_p50_ms": round(statistics.median(feed_ms), 2),
        "feed_apply_max_ms": round(max(feed_ms), 2),
    }
    print(f"{name}: {figures}", flush=True)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lines", type=int, default=200_000)
    parser.add_argument("--chunk", type=int, default=5000)
    parser.add_argument("--changes", type=int, default=20, help="feed changes to time (each: add, then disable)")
    args = parser.parse_args()
    results = {}
    sqlite_dir = tempfile.mkdtemp(prefix="wb-bench-banks-db-")
    results["sqlite"] = run_backend(
        "sqlite", f"sqlite:///{sqlite_dir}/bench.db", f"sqlite:///{sqlite_dir}/baseline.db", args
    )
    cluster = PostgresCluster().start()
    try:
        results["postgresql"] = run_backend(
            "postgresql", cluster.create_database("bench_banks"), cluster.create_database("bench_baseline"), args
        )
    finally:
        cluster.stop()
    print(json.dumps(results))


if __name__ == "__main__":
    main()

"""Audit log benchmark.

- append overhead: N moderator-style decisions (lock the case, record the decision, close
  the case) with their audit event sealed on the hash chain, against the same decisions
  with no audit event, in the same run;
- verify: `flask audit verify`'s walk over --events chained events (default 1,000,000);
- export: the audit bundle of those events, in a child process whose peak RSS is measured
  (against a child that only starts the app, the baseline).

    .venv/bin/python bench/audit.py [--events 1000000] [--decisions 2000] [--backend sqlite|postgresql]

Prints one JSON line last.
"""
from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine  # noqa: E402


def make_app(database_url: str, instance: str):
    from tests.support.apps import test_config
    from workbench import create_app
    return create_app(test_config(database_url, Path(instance), "unix:///nonexistent"))


def prepare_database(database_url: str, events: int) -> float:
    import workbench.models  # noqa: F401
    from workbench.extensions import db
    from bench.audit_log import fill_chain
    engine = create_engine(database_url)
    db.metadata.create_all(engine)
    seconds = fill_chain(engine, events)
    engine.dispose()
    return seconds


def measure_verify(app) -> tuple[float, int]:
    from workbench.audit.checkpoints import create_checkpoint, verify_log
    from workbench.audit.cli import signing_key
    from workbench.extensions import db
    with app.app_context():
        create_checkpoint(db.session, signing_key())
        started = time.perf_counter()
        result = verify_log(db.session, signing_key())
        elapsed = time.perf_counter() - started
        if not result.ok:
            raise RuntimeError(result.problems)
        return elapsed, result.events


def child_peak_mb(args: list[str]) -> float:
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    subprocess.run([sys.executable, __file__, *args], check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    return max(before, after) / 1024


def run_child(mode: str, database_url: str, instance: str, out_dir: str) -> None:
    app = make_app(database_url, instance)
    if mode == "export":
        from workbench.audit.cli import signing_key
        from workbench.exports.audit_bundle import export_audit_bundle
        from workbench.extensions import db
        with app.app_context():
            export_audit_bundle(db.session, signing_key(), out_dir)


def decision_costs(app, count: int) -> tuple[float, float]:
    """Seconds per decision with and without its audit event (see bench/decision_model.py)."""
    from bench.decision_model import time_decisions
    with app.app_context():
        without = time_decisions(count, audited=False)
        with_audit = time_decisions(count, audited=True)
    return without, with_audit


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--decisions", type=int, default=2000)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--child", nargs=4, metavar=("MODE", "URL", "INSTANCE", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(*args.child)
        return
    work = tempfile.mkdtemp(prefix="wb-bench-audit-")
    cluster = None
    if args.backend == "postgresql":
        from tests.support.postgres import PostgresCluster
        cluster = PostgresCluster().start()
        url = cluster.create_database("audit_bench")
    else:
        url = f"sqlite:///{work}/audit.db"
    try:
        fill_s = prepare_database(url, args.events)
        app = make_app(url, f"{work}/instance")
        verify_s, verified = measure_verify(app)
        baseline_mb = child_peak_mb(["--child", "baseline", url, f"{work}/instance", f"{work}/none"])
        export_mb = child_peak_mb(["--child", "export", url, f"{work}/instance", f"{work}/bundle"])
        without, with_audit = decision_costs(app, args.decisions)
    finally:
        if cluster:
            cluster.stop()
    figures = {
        "backend": args.backend,
        "events": verified,
        "fill_s": round(fill_s, 1),
        "verify_s": round(verify_s, 2),
        "verify_events_per_s": round(verified / verify_s),
        "export_peak_mb": round(export_mb, 1),
        "export_baseline_mb": round(baseline_mb, 1),
        "decisions": args.decisions,
        "decision_ms_without_audit": round(without * 1000, 3),
        "decision_ms_with_audit": round(with_audit * 1000, 3),
        "append_overhead": round(with_audit / without - 1, 3),
        "audited_events_per_s": round(1 / with_audit),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

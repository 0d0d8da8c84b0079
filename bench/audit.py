"""Audit log benchmark.

- append overhead: --decisions real moderator decisions (`decide_case`, the service behind
  the decision form, each on a freshly claimed case) with their audit event sealed on the
  hash chain, against the same call with `audit.record` switched off, alternating one by
  one in the same run (bench/decision_model.py); append_overhead = with / without - 1;
  append_overhead_minimal_txn: the same for the smallest decision-shaped transaction (lock,
  insert, close, commit), i.e. the sealing cost where almost nothing else happens;
- verify: `flask audit verify`'s check (verify_log) over --events chained events (default
  1,000,000) plus a signed checkpoint at the end, on worker processes as the command runs it
  (verify_events_per_s) and in one process (verify_1proc_events_per_s); with the machine
  shared, also events per CPU-second over every process (verify_*events_per_cpu_s: what an
  idle core gives) and the load average;
- export: the audit bundle of those events, in a child process that reports its own peak
  RSS (export_peak_mb), against a child that only starts the app (export_baseline_mb); then
  the bundle's standalone verifier.py is run on it (bundle_verify_events_per_s).

    .venv/bin/python bench/audit.py [--events 1000000] [--decisions 500] [--backend sqlite|postgresql]

Prints one JSON line last.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine


def make_app(database_url: str, instance: str):
    from tests.support.apps import test_config
    from workbench import create_app

    return create_app(test_config(database_url, Path(instance), "unix:///nonexistent"))


def prepare_database(database_url: str, events: int) -> float:
    import workbench.models  # noqa: F401  (registers every table)
    from bench.audit_log import fill_chain
    from workbench.extensions import db

    engine = create_engine(database_url)
    db.metadata.create_all(engine)
    seconds = fill_chain(engine, events)
    engine.dispose()
    return seconds


def cpu_seconds() -> float:
    """CPU time of this process and of its reaped children (the verify workers)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def measure_verify(app, processes: int | None) -> tuple[float, float, int]:
    """(wall seconds, CPU seconds over all processes, events)."""
    from workbench.audit.checkpoints import create_checkpoint, verify_log
    from workbench.audit.keys import signer_key
    from workbench.extensions import db

    with app.app_context():
        create_checkpoint(db.session, signer_key())
        started, cpu = time.perf_counter(), cpu_seconds()
        result = verify_log(db.session, signer_key(), processes=processes)
        elapsed, cpu = time.perf_counter() - started, cpu_seconds() - cpu
        db.session.rollback()
        if not result.ok:
            raise RuntimeError(result.problems)
        return elapsed, cpu, result.events


def measure_bundle_verify(bundle: str) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run([sys.executable, f"{bundle}/verifier.py", bundle], check=True, capture_output=True, text=True)
    return time.perf_counter() - started, done.stdout.strip()


def child_peak_mb(args: list[str]) -> float:
    """Peak RSS of a child, as the child itself reports it (its last line)."""
    done = subprocess.run([sys.executable, __file__, *args], check=True, capture_output=True, text=True)
    return float(done.stdout.strip().splitlines()[-1])


def run_child(mode: str, database_url: str, instance: str, out_dir: str) -> None:
    app = make_app(database_url, instance)
    if mode == "export":
        from workbench.audit.keys import signer_key
        from workbench.extensions import db
        from workbench.services.exports.audit_bundle import export_audit_bundle

        with app.app_context():
            export_audit_bundle(db.session, signer_key(), out_dir)
    print(own_peak_mb())


def own_peak_mb() -> float:
    """This process's peak RSS since exec: VmHWM (ru_maxrss would include the forking parent's)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def decision_costs(app, count: int) -> tuple[float, float]:
    """Seconds per decision with and without its audit event (see bench/decision_model.py)."""
    from bench.decision_model import time_decisions

    with app.app_context():
        return time_decisions(count)


def minimal_transaction_costs(app, count: int) -> tuple[float, float]:
    from bench.decision_model import time_minimal_transactions

    with app.app_context():
        return time_minimal_transactions(count)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--decisions", type=int, default=500, help="decisions of each kind")
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
        verify_s, verify_cpu_s, verified = measure_verify(app, None)
        verify_1proc_s, verify_1proc_cpu_s, _ = measure_verify(app, 1)
        load_average = os.getloadavg()[0]
        baseline_mb = child_peak_mb(["--child", "baseline", url, f"{work}/instance", f"{work}/none"])
        export_mb = child_peak_mb(["--child", "export", url, f"{work}/instance", f"{work}/bundle"])
        bundle_verify_s, bundle_verdict = measure_bundle_verify(f"{work}/bundle")
        without, with_audit = decision_costs(app, args.decisions)
        bare_without, bare_with = minimal_transaction_costs(app, args.decisions)
    finally:
        if cluster:
            cluster.stop()
        shutil.rmtree(work, ignore_errors=True)
    figures = {
        "backend": args.backend,
        "events": verified,
        "fill_s": round(fill_s, 1),
        "verify_s": round(verify_s, 2),
        "verify_events_per_s": round(verified / verify_s),
        "verify_1proc_events_per_s": round(verified / verify_1proc_s),
        "verify_events_per_cpu_s": round(verified / verify_cpu_s),
        "verify_1proc_events_per_cpu_s": round(verified / verify_1proc_cpu_s),
        "load_average_1min": round(load_average, 1),
        "bundle_verify_events_per_s": round(verified / bundle_verify_s),
        "bundle_verdict": bundle_verdict,
        "export_peak_mb": round(export_mb, 1),
        "export_baseline_mb": round(baseline_mb, 1),
        "decisions": args.decisions,
        "decision_ms_without_audit": round(without * 1000, 3),
        "decision_ms_with_audit": round(with_audit * 1000, 3),
        "append_overhead": round(with_audit / without - 1, 3),
        "audited_events_per_s": round(1 / with_audit),
        "minimal_txn_ms_without_audit": round(bare_without * 1000, 3),
        "minimal_txn_ms_with_audit": round(bare_with * 1000, 3),
        "append_overhead_minimal_txn": round(bare_with / bare_without - 1, 3),
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

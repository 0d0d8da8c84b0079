"""Policy jobs: re-evaluation after a report, and backtests. Thin: ids in, a service call.

Both are safe to run twice: re-evaluation reuses an evaluation with the same facts and never
opens a second case; a finished backtest is not run again, an interrupted one starts over.
"""

from __future__ import annotations

from workbench.extensions import db, get_queue
from workbench.jobs.context import job_app_context
from workbench.queues import try_enqueue
from workbench.services.policy.backtests import mark_failed
from workbench.services.policy.backtests import run_backtest as run
from workbench.services.policy.reevaluation import reevaluate_item as reevaluate
from workbench.settings import current as current_settings

BACKTEST_TIMEOUT_S = 3600


def reevaluate_item(item_id: int, report_id: int | None = None) -> str:
    with job_app_context():
        try:
            return reevaluate(db.session, item_id, settings=current_settings(), report_id=report_id)
        except Exception:
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def run_backtest(backtest_id: int) -> str:
    with job_app_context():
        try:
            return run(db.session, backtest_id, establishments=current_settings().provider_jurisdictions).status
        except Exception as exc:
            db.session.rollback()
            mark_failed(db.session, backtest_id, exc)
            raise
        finally:
            db.session.remove()


def enqueue_reevaluation(item_id: int, report_id: int) -> bool:
    """After the report committed. A lost job only delays the report's effect until the
    item's next evaluation; the report itself is durable."""
    return try_enqueue(
        get_queue(),
        "workbench.jobs.policy.reevaluate_item",
        item_id,
        report_id,
        what=f"re-evaluation of item {item_id}",
        job_id=f"policy-reevaluate-{item_id}-report-{report_id}",
        job_timeout=current_settings().job_timeout_s,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
    )


def enqueue_backtest(backtest_id: int) -> bool:
    return try_enqueue(
        get_queue(current_settings().backtest_queue),
        "workbench.jobs.policy.run_backtest",
        backtest_id,
        what=f"backtest {backtest_id}",
        job_id=f"policy-backtest-{backtest_id}",
        job_timeout=BACKTEST_TIMEOUT_S,
        result_ttl=3600,
        failure_ttl=7 * 24 * 3600,
    )

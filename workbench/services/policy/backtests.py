"""Backtests: a draft against stored items, compared with the published version of its pack.

Requested from the editor (a row, committed, then a job on the "backtests" queue), run by the
job in chunks: each chunk's facts come from a few set-based queries and the progress commits
after every chunk, which is what the progress bar polls.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from policies import PackInvalid, ValidationReport, validate_pack_text
from policies.yaml_source import load_yaml_with_marks
from workbench import audit
from workbench.audit import Actor
from workbench.models import Backtest, BacktestStatus, PolicyDraft, PolicyPack
from workbench.models.base import utcnow
from workbench.services.policy.backtest_compare import OutcomeComparer, same_effect_rules, unchanged_rules
from workbench.services.policy.facts import ItemScope, item_ids_in_scope, iter_fact_chunks
from workbench.services.policy.packs import actor_label, current_version, get_version, sha256_text, validate_for_pack
from workbench.services.policy.runtime import DRAFT_LABEL, compiled_pack, published_policies

BACKTEST_CHUNK = 2000
MAX_LAST_N = 1_000_000
MAX_ERROR_CHARS = 2000


class BacktestRefused(ValueError):
    def __init__(self, message: str, report: ValidationReport | None = None):
        super().__init__(message)
        self.report = report


@dataclass(frozen=True)
class BacktestRequest:
    last_n: int | None = None
    since: datetime | None = None
    until: datetime | None = None

    def to_scope(self) -> dict:
        if self.last_n is not None:
            return {"last_n": self.last_n}
        return {
            "since": self.since.isoformat() if self.since else None,
            "until": self.until.isoformat() if self.until else None,
        }


def request_backtest(session: Session, draft: PolicyDraft, actor: Actor, request: BacktestRequest) -> Backtest:
    """Creates the backtest row and commits; the caller enqueues the job afterwards."""
    if request.last_n is not None and not 1 <= request.last_n <= MAX_LAST_N:
        raise BacktestRefused(f"the number of items is between 1 and {MAX_LAST_N:,}")
    if request.last_n is None and request.since and request.until and request.since >= request.until:
        raise BacktestRefused("the start of the time range must be before its end")
    pack: PolicyPack = draft.pack
    report = validate_for_pack(draft.text, pack.jurisdiction)
    if not report.valid:
        raise BacktestRefused("the draft has errors; fix them before a backtest", report)
    baseline = current_version(session, pack)
    backtest = Backtest(
        pack_id=pack.id,
        jurisdiction=pack.jurisdiction,
        draft_id=draft.id,
        draft_text=draft.text,
        draft_sha256=sha256_text(draft.text),
        baseline_version=baseline.number if baseline else None,
        scope=request.to_scope(),
        status=BacktestStatus.QUEUED,
        requested_by=actor_label(actor),
        requested_by_user_id=int(actor.id) if actor.type == "user" else None,
        created_at=utcnow(),
    )
    session.add(backtest)
    session.flush()
    audit.record(
        session,
        actor,
        "policy.backtest_requested",
        "policy_backtest",
        backtest.id,
        jurisdiction=pack.jurisdiction,
        draft_id=draft.id,
        draft_sha256=backtest.draft_sha256,
        baseline_version=backtest.baseline_version,
        scope=backtest.scope,
    )
    session.commit()
    return backtest


def parse_pack_data(text: str) -> dict | None:
    """The pack as plain data, for comparing rules as written (no validation: it was published)."""
    data, _ = load_yaml_with_marks(text)
    return data if isinstance(data, dict) else None


def _scope(backtest: Backtest) -> ItemScope:
    raw = backtest.scope or {}
    since = datetime.fromisoformat(raw["since"]) if raw.get("since") else None
    until = datetime.fromisoformat(raw["until"]) if raw.get("until") else None
    # Every item: whether the draft's pack applies depends on the item's audience, the reports'
    # issuers and the provider's establishment, not on where the uploader is, so the comparer
    # decides per item (and compares only those the pack applies to).
    return ItemScope(last_n=raw.get("last_n"), since=since, until=until)


def run_backtest(
    session: Session, backtest_id: int, *, establishments: Iterable[str], chunk_size: int = BACKTEST_CHUNK
) -> Backtest:
    """Run it (`establishments`: Settings.provider_jurisdictions, as the pipeline decides)."""
    backtest = session.get(Backtest, backtest_id)
    if backtest is None:
        raise LookupError(f"no backtest {backtest_id}")
    if backtest.is_final:
        session.rollback()
        return backtest
    started = time.perf_counter()
    backtest.status = BacktestStatus.RUNNING
    backtest.started_at = utcnow()
    backtest.progress_done = 0
    session.commit()

    published = published_policies(session, establishments=establishments)
    draft = validate_pack_text(backtest.draft_text, version=DRAFT_LABEL)
    if draft.pack is None:
        raise PackInvalid(draft.errors)
    new, old, old_data = draft.pack, None, None
    if backtest.baseline_version is not None:
        pack = session.get(PolicyPack, backtest.pack_id)
        version = get_version(session, pack, backtest.baseline_version)
        old = compiled_pack(version.text, version.sha256, str(version.number))
        old_data = parse_pack_data(version.text)
    comparer = OutcomeComparer(
        published.policy_set, old, new, unchanged_rules(old_data, draft.data), same_effect_rules(old_data, draft.data)
    )
    ids = item_ids_in_scope(session, _scope(backtest))
    backtest.progress_total = len(ids)
    session.commit()
    for chunk in iter_fact_chunks(session, ids, chunk_size):
        for item_id, facts in chunk.items():
            comparer.add(item_id, facts)
        backtest.progress_done += len(chunk)
        session.commit()  # progress for the page, and SQLite's write lock is released per chunk

    seconds = time.perf_counter() - started
    results = comparer.results()
    results.update(
        seconds=round(seconds, 3),
        items_per_s=round(len(ids) / seconds, 1) if seconds else None,
        baseline_version=backtest.baseline_version,
        other_versions={j: n for j, n in published.versions.items() if j != backtest.jurisdiction},
    )
    backtest.results = results
    backtest.status = BacktestStatus.DONE
    backtest.finished_at = utcnow()
    audit.record(
        session,
        Actor.system("backtest"),
        "policy.backtest_finished",
        "policy_backtest",
        backtest.id,
        jurisdiction=backtest.jurisdiction,
        items=results["items"],
        changed=results["changed"]["count"],
    )
    session.commit()
    return backtest


def mark_failed(session: Session, backtest_id: int, error: BaseException) -> None:
    backtest = session.get(Backtest, backtest_id)
    if backtest is None or backtest.is_final:
        session.rollback()
        return
    backtest.status = BacktestStatus.FAILED
    backtest.error = f"{type(error).__name__}: {error}"[:MAX_ERROR_CHARS]
    backtest.finished_at = utcnow()
    audit.record(
        session,
        Actor.system("backtest"),
        "policy.backtest_failed",
        "policy_backtest",
        backtest.id,
        reason=backtest.error,
    )
    session.commit()


def backtests_of(session: Session, pack: PolicyPack | None = None, limit: int = 20) -> list[Backtest]:
    statement = select(Backtest).order_by(Backtest.id.desc()).limit(limit)
    if pack is not None:
        statement = statement.where(Backtest.pack_id == pack.id)
    return list(session.scalars(statement))

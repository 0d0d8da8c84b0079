"""The decision transaction timed by bench/audit.py, with and without its audit event.

It does what a moderator's decision does to the database: lock the open case, write the
decision, close the case, commit — so the ratio shows what the hash-chained audit event
adds to a decision's cost.
"""
from __future__ import annotations

import time

from sqlalchemy import select

from workbench import audit
from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import ApiClient, Item, ItemStatus
from workbench.models.base import utcnow
from workbench.models.case import Case
from workbench.models.decision import Decision


def _open_cases(count: int, tag: str) -> list[int]:
    client = db.session.scalar(select(ApiClient).where(ApiClient.name == "bench-decisions"))
    if client is None:
        client = ApiClient(name="bench-decisions", key_prefix="benchdec", key_hash="0" * 64)
        db.session.add(client)
        db.session.flush()
    ids = []
    for index in range(count):
        now = utcnow()
        item = Item(client_id=client.id, external_id=f"{tag}-{index}", kind="text", author_pseudonym="0" * 64,
                    country="DE", text="x", status=ItemStatus.PROCESSED, created_at=now, updated_at=now)
        db.session.add(item)
        db.session.flush()
        case = Case(item_id=item.id, queue="bench", priority="normal", priority_rank=2, rule_jurisdiction="GLOBAL",
                    rule_pack_version=1, rule_id="bench.rule", jurisdictions=["GLOBAL"])
        db.session.add(case)
        db.session.flush()
        ids.append(case.id)
    db.session.commit()
    return ids


def time_decisions(count: int, *, audited: bool) -> float:
    """Seconds per decision."""
    case_ids = _open_cases(count, f"{'a' if audited else 'n'}{time.monotonic_ns()}")
    actor = Actor.user(1)
    started = time.perf_counter()
    for case_id in case_ids:
        case = db.session.scalar(select(Case).where(Case.id == case_id).with_for_update(of=Case))
        decision = Decision(item_id=case.item_id, case_id=case.id, automated=False, outcome="remove",
                            actions=[{"action": "remove"}], visibility="removed", rule_jurisdiction="GLOBAL",
                            rule_pack_version=1, rule_id="bench.rule", decided_by="user:1", decided_at=utcnow())
        db.session.add(decision)
        case.status, case.closed_at = "closed", utcnow()
        if audited:
            db.session.flush()
            audit.record(db.session, actor, "decision.human", "decision", decision.id, case_id=case.id,
                         outcome="remove", rule="GLOBAL@1:bench.rule")
        db.session.commit()
    return (time.perf_counter() - started) / count

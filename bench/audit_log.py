"""Shared setup for bench/audit.py: a database holding N chained audit events."""

from __future__ import annotations

import random
import time
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, update

from workbench.audit.log import canonical_json, timestamp_text
from workbench.audit.verifier import GENESIS, chain_hash
from workbench.models.audit import AuditChainHead, AuditEvent

ACTIONS = ("item.created", "item.stage_completed", "item.processed", "case.claimed", "decision.made")


def fill_chain(engine, count: int, chunk: int = 20_000) -> float:
    """Insert `count` correctly chained events with bulk inserts; returns seconds taken."""
    rng = random.Random(7)
    started = time.perf_counter()
    prev, when = GENESIS, datetime(2026, 1, 1, tzinfo=UTC)
    with engine.begin() as conn:
        for start in range(1, count + 1, chunk):
            rows = []
            for seq in range(start, min(start + chunk, count + 1)):
                when += timedelta(microseconds=rng.randint(1, 5000))
                row = {
                    "id": seq,
                    "occurred_at": when,
                    "actor_type": "system",
                    "actor_id": "pipeline",
                    "action": ACTIONS[seq % len(ACTIONS)],
                    "object_type": "item",
                    "object_id": str(seq // 3),
                    "payload": canonical_json({"stage": "hash", "attempt": seq % 4, "rule": f"r{seq % 97}"}),
                }
                fields = dict(row, occurred_at=timestamp_text(when))
                row["prev_hash"], row["event_hash"] = prev, chain_hash(prev, fields)
                prev = row["event_hash"]
                rows.append(row)
            conn.execute(insert(AuditEvent), rows)
        conn.execute(update(AuditChainHead).where(AuditChainHead.id == 1).values(last_seq=count, last_hash=prev))
    return time.perf_counter() - started

"""Storing classifier signals: an idempotent upsert per (item, classifier, label).

For each classifier that ran on an item, the item's rows of that classifier become exactly
its new signals: same values, no write; changed values, an update; a label it no longer
gives (an error signal after a successful retry), a delete. Rows of classifiers that did not
run this time are left as they are. Set-based statements, so a batch costs a few
round trips whatever its size. The caller holds the items' row locks and commits.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence

from sqlalchemy import delete, insert, select, update
from sqlalchemy.orm import Session

from classifiers.base import Signal
from workbench.models import ItemSignal
from workbench.models.base import utcnow

MAX_LABEL_CHARS = 64


def _detail_json(signal: Signal) -> str | None:
    return json.dumps(signal.detail, sort_keys=True, separators=(",", ":"), default=str) if signal.detail else None


def _row_values(signal: Signal, identity: Mapping[str, str]) -> dict:
    return {
        "classifier_version": identity["version"][:64],
        "model_checksum": identity["model_checksum"],
        "score": float(signal.score),
        "detail": _detail_json(signal),
        "error": signal.error,
    }


def store_signals(
    session: Session, signals: Mapping[int, Mapping[str, Sequence[Signal]]], identities: Mapping[str, Mapping[str, str]]
) -> dict[int, int]:
    """`signals`: item id -> classifier name -> its signals. Returns rows per item."""
    item_ids = sorted(signals)
    if not item_ids:
        return {}
    existing: dict[tuple[int, str], dict[str, tuple]] = {}
    for row in session.execute(
        select(
            ItemSignal.id,
            ItemSignal.item_id,
            ItemSignal.classifier,
            ItemSignal.label,
            ItemSignal.classifier_version,
            ItemSignal.model_checksum,
            ItemSignal.score,
            ItemSignal.detail,
            ItemSignal.error,
        ).where(ItemSignal.item_id.in_(item_ids))
    ):
        existing.setdefault((row.item_id, row.classifier), {})[row.label] = row
    now = utcnow()
    inserts: list[dict] = []
    updates: list[dict] = []
    deletes: list[int] = []
    counts: dict[int, int] = {}
    for item_id in item_ids:
        for classifier, item_signals in signals[item_id].items():
            wanted = {
                signal.label[:MAX_LABEL_CHARS]: _row_values(signal, identities[classifier]) for signal in item_signals
            }
            have = existing.get((item_id, classifier), {})
            for label, values in wanted.items():
                row = have.get(label)
                if row is None:
                    inserts.append(
                        {
                            "item_id": item_id,
                            "classifier": classifier,
                            "label": label,
                            "created_at": now,
                            "updated_at": now,
                            **values,
                        }
                    )
                elif any(getattr(row, key) != value for key, value in values.items()):
                    updates.append({"id": row.id, "updated_at": now, **values})
            deletes += [row.id for label, row in have.items() if label not in wanted]
            counts[item_id] = counts.get(item_id, 0) + len(wanted)
    if deletes:
        session.execute(delete(ItemSignal).where(ItemSignal.id.in_(deletes)))
    if inserts:  # Core executemany on the session's connection: no ORM bulk bookkeeping per row
        session.connection().execute(insert(ItemSignal.__table__), inserts)
    if updates:
        session.execute(update(ItemSignal), updates)
    return counts

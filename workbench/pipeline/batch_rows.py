"""The item rows a batch worker reads and writes in bulk, and the report of what a batch did."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import bindparam, update
from sqlalchemy.orm import Session

from workbench.models import Item

ITEM_COLUMNS = (
    Item.id,
    Item.kind,
    Item.text,
    Item.blob_sha256,
    Item.language,
    Item.language_source,
    Item.status,
    Item.stage,
    Item.attempts,
)


# Re-read under the lock before storing: the item's state, not its (possibly long) text.
LOCK_COLUMNS = (
    Item.id,
    Item.kind,
    Item.blob_sha256,
    Item.language,
    Item.language_source,
    Item.status,
    Item.stage,
    Item.attempts,
)


ITEMS_TABLE = Item.__table__


@dataclass
class BatchReport:
    """What one batch did, by item id."""

    claimed: int = 0
    completed: list[int] = field(default_factory=list)  # stage done, later stages queued
    finished: list[int] = field(default_factory=list)  # stage done and it was the last one
    retrying: dict[int, float] = field(default_factory=dict)  # id -> seconds until the retry
    failed: list[int] = field(default_factory=list)  # ended in status `error`
    skipped: list[int] = field(default_factory=list)  # no longer waiting for the stage


def update_items(session: Session, updates: list[dict]) -> None:
    """One executemany UPDATE per set of columns (Core: no ORM bulk-update bookkeeping per row)."""
    groups: dict[tuple, list[dict]] = {}
    for values in updates:
        groups.setdefault(tuple(sorted(values)), []).append(values)
    connection = session.connection()
    for keys, rows in groups.items():
        columns = [key for key in keys if key != "id"]
        statement = (
            update(ITEMS_TABLE)
            .where(ITEMS_TABLE.c.id == bindparam("b_id"))
            .values({key: bindparam(f"b_{key}") for key in columns})
        )
        connection.execute(statement, [{f"b_{key}": row[key] for key in keys} for row in rows])

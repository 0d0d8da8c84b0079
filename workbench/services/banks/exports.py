"""Exporting a bank in the formats it can be imported from (streamed, in batches)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from classifiers.hashing import formats
from classifiers.hashing.formats import FORMATS, HMA_CSV, PLAIN, PYTX_LINES, TE_SIMPLE, FormatError, HashRecord
from workbench import audit
from workbench.audit import Actor
from workbench.models import BankEntry, HashBank
from workbench.services.banks.entries import check_algorithm
from workbench.services.banks.errors import InvalidFormat

_BATCH = 5000
_EXTENSIONS = {HMA_CSV: "csv", PYTX_LINES: "txt", PLAIN: "txt"}


@dataclass(frozen=True)
class Export:
    filename: str
    mimetype: str
    chunks: Iterator[str]
    count: int


def _conditions(bank: HashBank, algorithm: str | None, include_disabled: bool) -> list:
    conditions = [BankEntry.bank_id == bank.id]
    if algorithm:
        conditions.append(BankEntry.algorithm == algorithm)
    if not include_disabled:
        conditions.append(BankEntry.disabled_at.is_(None))
    return conditions


def _record(entry: BankEntry) -> HashRecord:
    return HashRecord(
        algorithm=entry.algorithm,
        hash=entry.value,
        tags=tuple(entry.tags.split()),
        category=entry.category,
        collab=entry.source,
        descriptor_id=entry.descriptor_id,
        added_on=entry.external_added_on or entry.added_at.strftime("%Y-%m-%dT%H:%M:%S+0000"),
    )


def _batches(session: Session, conditions: list) -> Iterator[list[HashRecord]]:
    after = 0
    while True:
        rows = session.scalars(
            select(BankEntry).where(*conditions, BankEntry.id > after).order_by(BankEntry.id).limit(_BATCH)
        ).all()
        if not rows:
            return
        after = rows[-1].id
        records = [_record(row) for row in rows]
        # End the read before handing the batch out: a slow download must not hold a
        # transaction (on SQLite, the write lock) open; memory stays flat on large banks.
        session.rollback()
        session.expunge_all()
        yield records


def _slug(name: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", name).strip("-.") or "bank"


def export_bank(
    session: Session,
    bank: HashBank,
    fmt: str,
    actor: Actor,
    *,
    algorithm: str | None = None,
    include_disabled: bool = False,
) -> Export:
    """Check the request, audit it, and return the text as a lazy sequence of chunks."""
    if fmt not in FORMATS:
        raise InvalidFormat(f"'format' must be one of: {', '.join(FORMATS)}", "format")
    if algorithm:
        check_algorithm(algorithm)
    if fmt in (TE_SIMPLE, PLAIN) and not algorithm:
        present = set(
            session.scalars(select(BankEntry.algorithm).where(*_conditions(bank, None, include_disabled)).distinct())
        )
        if len(present) > 1:
            raise InvalidFormat(
                f"{fmt} holds one algorithm and this bank has {', '.join(sorted(present))}: choose one", "algorithm"
            )
        algorithm = present.pop() if present else "pdq"
    if fmt == TE_SIMPLE:
        try:
            filename = formats.te_simple_filename(algorithm)
        except FormatError as exc:
            raise InvalidFormat(str(exc), "algorithm") from exc
    else:
        suffix = f"-{algorithm}" if algorithm else ""
        filename = f"{_slug(bank.name)}{suffix}.{_EXTENSIONS[fmt]}"
    conditions = _conditions(bank, algorithm, include_disabled)
    count = session.scalar(select(func.count()).select_from(BankEntry).where(*conditions)) or 0
    audit.record(
        session,
        actor,
        "bank.exported",
        "hash_bank",
        bank.id,
        format=fmt,
        algorithm=algorithm,
        include_disabled=include_disabled,
        count=count,
    )
    session.commit()
    return Export(
        filename, "text/csv" if fmt == HMA_CSV else "text/plain", _chunks(session, conditions, fmt, algorithm), count
    )


def _chunks(session: Session, conditions: list, fmt: str, algorithm: str | None) -> Iterator[str]:
    first = True
    for batch in _batches(session, conditions):
        text = formats.write(batch, fmt, algorithm)
        if fmt == HMA_CSV and not first:
            text = text.split("\n", 1)[1]  # the header once, at the top
        first = False
        yield text
    session.rollback()
    if first and fmt == HMA_CSV:
        yield formats.write([], fmt)

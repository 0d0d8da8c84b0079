"""Importing a hash-list file into a bank, in chunks that each commit on their own.

Each chunk's new entries, its bad lines, the import's counters and position, its audit
event and its change-feed row commit together. A retried or resumed run locks the import
row, starts at `lines_done` and so never adds or counts a line twice. A hash this import
added that appears again later in the file is merged into its entry (tags united) and
counted in `duplicates_merged` (repeats inside one chunk are merged by the parser); each
line whose hash the bank had before the import is counted in `already_present`, and that
entry is left as it is.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import BinaryIO

from sqlalchemy import Row, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from classifiers.hashing.formats import (
    FORMATS,
    HMA_CSV,
    PLAIN,
    TE_SIMPLE,
    FormatError,
    HashRecord,
    algorithm_from_filename,
    detect_format,
)
from workbench import audit
from workbench.audit import Actor
from workbench.models import BankChangeOp, BankEntry, BankImport, BankImportError, HashBank, ImportStatus
from workbench.models.base import utcnow
from workbench.services.banks.entries import MAX_SOURCE_CHARS, check_algorithm, clean_label, entries_with_values
from workbench.services.banks.errors import ImportNotFound, InvalidFormat
from workbench.services.banks.feed import record_change
from workbench.services.banks.import_files import ImportFileStore, first_logical_line, numbered_lines, parse_chunk

AUTO = "auto"
_PREVIEW_LINES = 50


class ImportTakenOver(RuntimeError):
    """Another run advanced this import while this one was working: this one stops."""


@dataclass(frozen=True)
class ImportErrorPage:
    errors: list[BankImportError]
    next_after: int | None  # pass as `after_line` for the next page


def _check_format(store: ImportFileStore, sha256: str, fmt: str, algorithm: str | None, filename: str) -> str:
    with store.open(sha256) as handle:
        head = list(itertools.islice(numbered_lines(handle), _PREVIEW_LINES))
    if fmt == AUTO:
        fmt = detect_format("\n".join(text or "" for _, text in head), filename)
    if fmt not in FORMATS:
        raise InvalidFormat(f"'format' must be one of: {', '.join(FORMATS)} (or auto)", "format")
    if fmt == PLAIN and not algorithm:
        raise InvalidFormat("plain hash lists need an algorithm", "algorithm")
    if fmt == TE_SIMPLE and not (algorithm or algorithm_from_filename(filename)):
        raise InvalidFormat(
            "ThreatExchange simple files need an algorithm, or a file name such as simple.HASH_PDQ.te", "algorithm"
        )
    if fmt == HMA_CSV:
        with store.open(sha256) as handle:
            header = first_logical_line(handle)
        try:
            parse_chunk([header] if header else [], fmt, algorithm, filename, None)
        except FormatError as exc:
            raise InvalidFormat(str(exc), "file") from exc
    return fmt


def create_import(
    session: Session,
    bank: HashBank,
    stream: BinaryIO,
    *,
    filename: str,
    fmt: str,
    algorithm: str | None,
    source: str,
    actor: Actor,
    store: ImportFileStore,
    max_bytes: int,
) -> BankImport:
    """Keep the file, check its format, and record a queued import (the caller runs or queues it)."""
    filename = clean_label(filename, "filename", 255)
    source = clean_label(source, "source", MAX_SOURCE_CHARS) or f"import: {filename or 'unnamed file'}"[:255]
    if algorithm:
        check_algorithm(algorithm)
    stored = store.save(stream, max_bytes)
    if stored.size == 0:
        raise InvalidFormat("the file is empty", "file")
    fmt = _check_format(store, stored.sha256, fmt or AUTO, algorithm or None, filename)
    if fmt == TE_SIMPLE and not algorithm:
        algorithm = algorithm_from_filename(filename)
    bank_import = BankImport(
        bank_id=bank.id,
        filename=filename,
        file_sha256=stored.sha256,
        file_size=stored.size,
        format=fmt,
        algorithm=algorithm or None,
        source=source,
        total_lines=stored.lines,
        actor_type=actor.type,
        actor_id=actor.id,
    )
    session.add(bank_import)
    session.flush()
    audit.record(
        session,
        actor,
        "bank.import_created",
        "hash_bank",
        bank.id,
        import_id=bank_import.id,
        filename=filename,
        format=fmt,
        algorithm=algorithm,
        file_sha256=stored.sha256,
        lines=stored.lines,
    )
    session.commit()
    return bank_import


def get_import(session: Session, bank: HashBank, import_id: int) -> BankImport:
    bank_import = session.get(BankImport, import_id)
    if bank_import is None or bank_import.bank_id != bank.id:
        raise ImportNotFound(f"bank {bank.id} has no import {import_id}")
    return bank_import


def list_imports(session: Session, bank: HashBank, limit: int = 20) -> list[BankImport]:
    return list(
        session.scalars(
            select(BankImport).where(BankImport.bank_id == bank.id).order_by(BankImport.id.desc()).limit(limit)
        )
    )


def import_errors(
    session: Session, bank_import: BankImport, *, after_line: int = 0, limit: int = 100
) -> ImportErrorPage:
    rows = list(
        session.scalars(
            select(BankImportError)
            .where(BankImportError.import_id == bank_import.id, BankImportError.line > after_line)
            .order_by(BankImportError.line)
            .limit(limit + 1)
        )
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return ImportErrorPage(rows, rows[-1].line if more and rows else None)


def _lock(session: Session, import_id: int) -> BankImport:
    bank_import = session.scalar(select(BankImport).where(BankImport.id == import_id).with_for_update())
    if bank_import is None:
        raise ImportNotFound(f"no import {import_id}")
    return bank_import


def run_import(
    session: Session, import_id: int, store: ImportFileStore, *, chunk_lines: int, progress=None
) -> BankImport:
    """Run (or resume) an import to the end. Safe to call again after any failure."""
    bank_import = _lock(session, import_id)
    if bank_import.is_final:
        session.rollback()
        return bank_import
    first_run = bank_import.attempts == 0
    bank_import.status = ImportStatus.RUNNING
    bank_import.attempts += 1
    bank_import.error = None
    bank_import.updated_at = utcnow()
    actor = Actor(bank_import.actor_type, bank_import.actor_id)
    if first_run:
        audit.record(session, actor, "bank.import_started", "hash_bank", bank_import.bank_id, import_id=bank_import.id)
    session.commit()
    start = bank_import.lines_done
    with store.open(bank_import.file_sha256) as handle:
        header = first_logical_line(handle) if bank_import.format == HMA_CSV else None
        handle.seek(0)
        lines = itertools.dropwhile(lambda numbered: numbered[0] <= start, numbered_lines(handle))
        while chunk := list(itertools.islice(lines, chunk_lines)):
            for attempt in range(3):
                try:
                    _import_chunk(session, import_id, chunk, header, actor)
                    break
                except IntegrityError:  # a hash added concurrently by hand: look again
                    session.rollback()
                    if attempt == 2:
                        raise
            if progress is not None:
                progress(session.get(BankImport, import_id))
    bank_import = _lock(session, import_id)
    bank_import.status = ImportStatus.DONE
    bank_import.lines_done = max(bank_import.lines_done, bank_import.total_lines)
    bank_import.finished_at = bank_import.updated_at = utcnow()
    audit.record(
        session,
        actor,
        "bank.import_finished",
        "hash_bank",
        bank_import.bank_id,
        import_id=bank_import.id,
        added=bank_import.added,
        already_present=bank_import.already_present,
        duplicates_merged=bank_import.duplicates_merged,
        bad_lines=bank_import.error_count,
    )
    session.commit()
    return bank_import


def _import_chunk(session: Session, import_id: int, chunk, header, actor: Actor) -> None:
    bank_import = _lock(session, import_id)
    first_line, last_line = chunk[0][0], chunk[-1][0]
    if bank_import.lines_done != first_line - 1 or bank_import.is_final:
        session.rollback()
        raise ImportTakenOver(f"import {import_id} moved on to line {bank_import.lines_done} meanwhile")
    parsed = parse_chunk(chunk, bank_import.format, bank_import.algorithm, bank_import.filename, header)
    existing = _existing_entries(session, bank_import.bank_id, parsed.records)
    now = utcnow()
    new_rows, merged, present = [], parsed.duplicates_merged, 0
    for record in parsed.records:
        row = existing.get((record.algorithm, record.hash))
        if row is None:
            new_rows.append(_entry_values(bank_import, record, actor, now))
        elif row.import_id == bank_import.id:  # seen earlier in this file
            merged += 1
            tags = row.tags.split()
            extra = [t for t in record.tags if t not in tags]
            if extra:
                session.execute(update(BankEntry).where(BankEntry.id == row.id).values(tags=" ".join(tags + extra)))
        else:
            present += 1
    first_id = last_id = None
    if new_rows:
        # A plain executemany (no RETURNING: much faster on psycopg); the row lock on the
        # import means only this transaction adds entries of this import, so the new ids
        # are exactly those above the import's previous highest.
        before = session.scalar(
            select(func.coalesce(func.max(BankEntry.id), 0)).where(BankEntry.import_id == import_id)
        )
        session.execute(insert(BankEntry), new_rows)
        first_id, last_id, inserted = session.execute(
            select(func.min(BankEntry.id), func.max(BankEntry.id), func.count()).where(
                BankEntry.import_id == import_id, BankEntry.id > before
            )
        ).one()
        assert inserted == len(new_rows), (inserted, len(new_rows))
    if parsed.errors:
        session.execute(
            insert(BankImportError),
            [
                {"import_id": import_id, "line": error.line, "reason": error.reason[:1000], "content": error.text[:200]}
                for error in parsed.errors
            ],
        )
    bank_import.lines_done = last_line
    bank_import.added += len(new_rows)
    bank_import.already_present += present
    bank_import.duplicates_merged += merged
    bank_import.error_count += len(parsed.errors)
    bank_import.updated_at = now
    audit.record(
        session,
        actor,
        "bank.entries_imported",
        "hash_bank",
        bank_import.bank_id,
        import_id=import_id,
        lines=[first_line, last_line],
        added=len(new_rows),
        already_present=present,
        merged=merged,
        bad_lines=len(parsed.errors),
        entry_ids=[first_id, last_id] if new_rows else None,
    )
    if new_rows:
        record_change(session, bank_import.bank_id, BankChangeOp.ENTRIES_ADDED, entry_lo=first_id, entry_hi=last_id)
    session.commit()


def _existing_entries(session: Session, bank_id: int, records: list[HashRecord]) -> dict[tuple[str, str], Row]:
    by_algorithm: dict[str, list[str]] = {}
    for record in records:
        by_algorithm.setdefault(record.algorithm, []).append(record.hash)
    columns = (BankEntry.id, BankEntry.algorithm, BankEntry.value, BankEntry.import_id, BankEntry.tags)
    return {
        (row.algorithm, row.value): row
        for algorithm, values in by_algorithm.items()
        for row in entries_with_values(session, bank_id, algorithm, values, *columns)
    }


def _entry_values(bank_import: BankImport, record: HashRecord, actor: Actor, now) -> dict:
    return {
        "bank_id": bank_import.bank_id,
        "algorithm": record.algorithm,
        "value": record.hash,
        "note": "",
        "source": (record.collab or bank_import.source)[:255],
        "added_by": f"{actor.type}:{actor.id}"[:64],
        "added_at": now,
        "tags": " ".join(record.tags),
        "category": record.category[:64],
        "descriptor_id": record.descriptor_id[:64],
        "external_added_on": record.added_on[:64],
        "import_id": bank_import.id,
    }


def mark_failed(session: Session, import_id: int, reason: str) -> None:
    """After the last retry (or a permanent problem): stop, keeping what was committed."""
    bank_import = session.get(BankImport, import_id)
    if bank_import is None or bank_import.is_final:
        session.rollback()
        return
    bank_import.status = ImportStatus.FAILED
    bank_import.error = reason[:2000]
    bank_import.finished_at = bank_import.updated_at = utcnow()
    audit.record(
        session,
        Actor(bank_import.actor_type, bank_import.actor_id),
        "bank.import_failed",
        "hash_bank",
        bank_import.bank_id,
        import_id=import_id,
        reason=reason[:500],
        lines_done=bank_import.lines_done,
    )
    session.commit()


def reopen(session: Session, bank_import: BankImport, actor: Actor) -> BankImport:
    """Let a failed import run again from where it stopped (the caller queues it)."""
    if bank_import.status == ImportStatus.DONE:
        return bank_import
    bank_import.status = ImportStatus.QUEUED
    bank_import.error = None
    bank_import.finished_at = None
    bank_import.updated_at = utcnow()
    audit.record(
        session,
        actor,
        "bank.import_resumed",
        "hash_bank",
        bank_import.bank_id,
        import_id=bank_import.id,
        lines_done=bank_import.lines_done,
    )
    session.commit()
    return bank_import


def import_count(session: Session, bank: HashBank) -> int:
    return session.scalar(select(func.count()).select_from(BankImport).where(BankImport.bank_id == bank.id)) or 0

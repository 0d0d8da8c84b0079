"""Adding, disabling, removing and searching the entries of a hash bank."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import ARRAY, String, and_, bindparam, func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from classifiers.hashing.compute import hash_image
from classifiers.hashing.distance import ALGORITHMS, InvalidHashError, UnknownAlgorithmError, normalize_hash
from classifiers.hashing.formats import LineError
from classifiers.hashing.images import ImageDecodeError
from classifiers.hashing.pdq import MIN_QUALITY
from classifiers.hashing.signal_types import UnknownSignalTypeError, algorithm_for_signal_type
from workbench import audit
from workbench.audit import Actor
from workbench.models import BankChangeOp, BankEntry, HashBank, HashMatch
from workbench.models.base import utcnow
from workbench.services.banks.errors import EntryHasMatches, EntryNotFound, InvalidHashLines
from workbench.services.banks.feed import record_change
from workbench.services.validation import ValidationFailed

MAX_ENTRIES_PER_REQUEST = 1000
MAX_NOTE_CHARS = 2000
MAX_SOURCE_CHARS = 255
# Audit payloads list the hashes a person added; a larger batch is an import.
_AUDIT_VALUES_UP_TO = MAX_ENTRIES_PER_REQUEST
ENTRY_STATUSES = ("all", "enabled", "disabled")
_LOOKUP_BATCH = 2000


@dataclass(frozen=True)
class EntrySpec:
    algorithm: str
    value: str
    note: str = ""
    source: str = ""


@dataclass
class AddResult:
    added: list[BankEntry] = field(default_factory=list)
    already_present: list[BankEntry] = field(default_factory=list)
    change_id: int | None = None
    warnings: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class EntryPage:
    entries: list[BankEntry]
    total: int
    next_before: int | None  # pass as `before` for the next (older) page


def check_algorithm(algorithm: str | None, field_name: str = "algorithm") -> str:
    if algorithm not in ALGORITHMS:
        raise ValidationFailed(
            "invalid_algorithm", f"'{field_name}' must be one of: {', '.join(sorted(ALGORITHMS))}", field_name
        )
    return algorithm


def parse_pasted_hashes(text: str, default_algorithm: str | None) -> list[EntrySpec]:
    """One hash per line, or `<signal_type> <hash>` (pytx style) to name the algorithm.

    Every bad line is reported with its number; nothing is added unless all lines are good.
    """
    specs: list[EntrySpec] = []
    errors: list[LineError] = []
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        parts = stripped.split()
        if len(parts) == 1:
            algorithm, value = default_algorithm, parts[0]
            if algorithm is None:
                errors.append(LineError(number, "no algorithm: choose one or write '<algorithm> <hash>'", line[:200]))
                continue
        elif len(parts) == 2:
            try:
                algorithm, value = algorithm_for_signal_type(parts[0]), parts[1]
            except UnknownSignalTypeError as exc:
                errors.append(LineError(number, str(exc), line[:200]))
                continue
        else:
            errors.append(
                LineError(number, f"expected '<hash>' or '<algorithm> <hash>', found {len(parts)} fields", line[:200])
            )
            continue
        try:
            specs.append(EntrySpec(algorithm, normalize_hash(algorithm, value)))
        except (InvalidHashError, UnknownAlgorithmError) as exc:
            errors.append(LineError(number, str(exc), line[:200]))
    if errors:
        raise InvalidHashLines(errors)
    if not specs:
        raise ValidationFailed("missing_field", "no hashes given", "hashes")
    if len(specs) > MAX_ENTRIES_PER_REQUEST:
        raise ValidationFailed(
            "too_many_entries",
            f"at most {MAX_ENTRIES_PER_REQUEST} hashes at once; import larger lists as a file",
            "hashes",
            413,
        )
    return specs


def specs_from_image(data: bytes, algorithms: set[str] | None = None) -> tuple[list[EntrySpec], list[str]]:
    """The hashes of an uploaded picture (which is not kept), and why any were left out."""
    try:
        hashes = hash_image(data)
    except ImageDecodeError as exc:
        raise ValidationFailed("corrupt_image", f"the image could not be decoded: {exc}", "image", 422) from exc
    wanted = algorithms or set(ALGORITHMS)
    specs, warnings = [], []
    for algorithm in ("pdq", "phash", "dhash", "md5", "sha256"):
        if algorithm not in wanted:
            continue
        if algorithm == "pdq" and not hashes.pdq_matchable:
            warnings.append(
                f"PDQ left out: quality {hashes.pdq_quality} is below {MIN_QUALITY}, "
                "so the hash would match unrelated flat pictures"
            )
            continue
        specs.append(EntrySpec(algorithm, getattr(hashes, algorithm)))
    return specs, warnings


def clean_label(value: str | None, field_name: str, max_chars: int) -> str:
    value = (value or "").strip()
    if len(value) > max_chars:
        raise ValidationFailed("too_long", f"'{field_name}' exceeds {max_chars} characters", field_name, 413)
    if "\x00" in value:
        raise ValidationFailed("invalid_text", f"'{field_name}' contains NUL", field_name)
    return value


def entries_with_values(session: Session, bank_id: int, algorithm: str, values: list[str], *columns) -> list:
    """The bank's entries of `algorithm` whose hash is one of `values` (`columns`: what to select;
    none: the entries themselves).

    On PostgreSQL the values are joined as one unnested array: an index probe per value, even
    under the generic plan psycopg's prepared statements get after five runs, where
    `value = ANY($1)` turns into a linear search of the bank for each row.
    """
    postgres = session.get_bind().dialect.name == "postgresql"
    found = []
    for start in range(0, len(values), _LOOKUP_BATCH):
        batch = values[start : start + _LOOKUP_BATCH]
        query = select(*columns) if columns else select(BankEntry)
        if postgres:
            wanted = (
                func.unnest(bindparam("wanted", batch, type_=ARRAY(String)))
                .table_valued("value")
                .render_derived(name="wanted")
            )
            query = query.join(wanted, BankEntry.value == wanted.c.value)
        else:
            query = query.where(BankEntry.value.in_(batch))
        result = session.execute(query.where(BankEntry.bank_id == bank_id, BankEntry.algorithm == algorithm))
        found.extend(result.all() if columns else result.scalars().all())
    return found


def _existing(session: Session, bank_id: int, specs: list[EntrySpec]) -> dict[tuple[str, str], BankEntry]:
    by_algorithm: dict[str, list[str]] = {}
    for spec in specs:
        by_algorithm.setdefault(spec.algorithm, []).append(spec.value)
    return {
        (row.algorithm, row.value): row
        for algorithm, values in by_algorithm.items()
        for row in entries_with_values(session, bank_id, algorithm, values)
    }


def add_entries(
    session: Session,
    bank: HashBank,
    specs: list[EntrySpec],
    actor: Actor,
    *,
    note: str = "",
    source: str = "",
    how: str = "paste",
) -> AddResult:
    """Add entries; hashes already in the bank are reported, not duplicated (or re-enabled)."""
    note = clean_label(note, "note", MAX_NOTE_CHARS)
    source = clean_label(source, "source", MAX_SOURCE_CHARS)
    bank_id = bank.id
    unique = list({(s.algorithm, s.value): s for s in specs}.values())
    for attempt in range(3):
        result = AddResult()
        existing = _existing(session, bank_id, unique)
        now = utcnow()
        for spec in unique:
            row = existing.get((spec.algorithm, spec.value))
            if row is not None:
                result.already_present.append(row)
                continue
            entry = BankEntry(
                bank_id=bank_id,
                algorithm=spec.algorithm,
                value=spec.value,
                note=spec.note or note,
                source=spec.source or source,
                added_by=f"{actor.type}:{actor.id}"[:64],
                added_at=now,
            )
            session.add(entry)
            result.added.append(entry)
        if not result.added:
            session.rollback()
            return result
        try:
            session.flush()
        except IntegrityError:  # the same hash added concurrently: look again
            session.rollback()
            if attempt == 2:
                raise
            continue
        ids = [entry.id for entry in result.added]
        audit.record(
            session,
            actor,
            "bank.entries_added",
            "hash_bank",
            bank_id,
            how=how,
            count=len(ids),
            already_present=len(result.already_present),
            entries=[[e.id, e.algorithm, e.value] for e in result.added][:_AUDIT_VALUES_UP_TO],
        )
        change = record_change(session, bank_id, BankChangeOp.ENTRIES_ADDED, entry_lo=min(ids), entry_hi=max(ids))
        result.change_id = change.id
        session.commit()
        return result
    raise AssertionError("unreachable")


def get_entry(session: Session, bank: HashBank, entry_id: int) -> BankEntry:
    entry = session.get(BankEntry, entry_id)
    if entry is None or entry.bank_id != bank.id:
        raise EntryNotFound(f"bank {bank.id} has no entry {entry_id}")
    return entry


def set_entry_disabled(
    session: Session, bank: HashBank, entry_id: int, disabled: bool, actor: Actor
) -> tuple[BankEntry, int | None]:
    """Disable or re-enable an entry; returns it and the change id (None if nothing changed)."""
    entry = get_entry(session, bank, entry_id)
    if (entry.disabled_at is not None) == disabled:
        return entry, None
    entry.disabled_at = utcnow() if disabled else None
    audit.record(
        session,
        actor,
        "bank.entry_disabled" if disabled else "bank.entry_enabled",
        "hash_bank",
        bank.id,
        entry_id=entry.id,
        algorithm=entry.algorithm,
        value=entry.value,
    )
    change = record_change(
        session, bank.id, BankChangeOp.ENTRY_CHANGED, algorithm=entry.algorithm, entry_lo=entry.id, entry_hi=entry.id
    )
    session.commit()
    return entry, change.id


def update_entry_note(session: Session, bank: HashBank, entry_id: int, note: str, actor: Actor) -> BankEntry:
    entry = get_entry(session, bank, entry_id)
    note = clean_label(note, "note", MAX_NOTE_CHARS)
    if note != entry.note:
        entry.note = note
        audit.record(session, actor, "bank.entry_note_changed", "hash_bank", bank.id, entry_id=entry.id)
        session.commit()
    return entry


def remove_entry(session: Session, bank: HashBank, entry_id: int, actor: Actor) -> int:
    """Delete an entry that never matched (matched entries are evidence: disable those)."""
    entry = get_entry(session, bank, entry_id)
    matched = session.scalar(select(func.count()).select_from(HashMatch).where(HashMatch.entry_id == entry.id))
    if matched:
        raise EntryHasMatches(f"entry {entry.id} matched {matched} item(s); disable it instead of removing it")
    audit.record(
        session,
        actor,
        "bank.entry_removed",
        "hash_bank",
        bank.id,
        entry_id=entry.id,
        algorithm=entry.algorithm,
        value=entry.value,
    )
    algorithm, removed_id = entry.algorithm, entry.id
    session.delete(entry)
    try:
        session.flush()
    except IntegrityError as exc:  # an item matched it in the meantime
        session.rollback()
        raise EntryHasMatches(f"entry {removed_id} has just matched an item; disable it instead") from exc
    change = record_change(
        session, bank.id, BankChangeOp.ENTRY_CHANGED, algorithm=algorithm, entry_lo=removed_id, entry_hi=removed_id
    )
    session.commit()
    return change.id


def _is_hex(text: str) -> bool:
    return bool(text) and all(c in "0123456789abcdef" for c in text)


def search_entries(
    session: Session,
    bank: HashBank,
    *,
    q: str = "",
    algorithm: str | None = None,
    status: str = "all",
    before: int | None = None,
    limit: int = 50,
) -> EntryPage:
    """Newest first. `q` matches a hash prefix, or text in the note or source."""
    conditions = [BankEntry.bank_id == bank.id]
    if algorithm:
        conditions.append(BankEntry.algorithm == check_algorithm(algorithm))
    if status not in ENTRY_STATUSES:
        raise ValidationFailed("invalid_status", f"'status' must be one of: {', '.join(ENTRY_STATUSES)}", "status")
    if status == "enabled":
        conditions.append(BankEntry.disabled_at.is_(None))
    elif status == "disabled":
        conditions.append(BankEntry.disabled_at.is_not(None))
    q = (q or "").strip()
    if len(q) > 200:
        raise ValidationFailed("too_long", "'q' exceeds 200 characters", "q")
    if q:
        lowered = q.lower()
        text_match = [
            func.lower(BankEntry.note).contains(lowered, autoescape=True),
            func.lower(BankEntry.source).contains(lowered, autoescape=True),
        ]
        if _is_hex(lowered):
            # A range on the (lowercase hex) value uses the index whatever the collation.
            prefix = and_(BankEntry.value >= lowered, BankEntry.value < lowered + "g")
            conditions.append(or_(prefix, *text_match))
        else:
            conditions.append(or_(*text_match))
    total = session.scalar(select(func.count()).select_from(BankEntry).where(*conditions))
    page_query = select(BankEntry).where(*conditions)
    if before is not None:
        page_query = page_query.where(BankEntry.id < before)
    rows = session.scalars(page_query.order_by(BankEntry.id.desc()).limit(limit + 1)).all()
    more = len(rows) > limit
    rows = rows[:limit]
    return EntryPage(list(rows), int(total or 0), rows[-1].id if more and rows else None)

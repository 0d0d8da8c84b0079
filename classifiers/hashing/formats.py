"""Read and write hash lists in the formats hash-sharing programmes use.

- ``hma_csv``: the CSV that pytx's ``dataset --csv`` writes and HMA imports,
  header ``signal_type,signal_str,collab,category,tags`` (columns found by name),
  tags space-separated.
- ``pytx_lines``: ``<signal_type> <signal>`` per line.
- ``te_simple``: ThreatExchange "simple" files such as ``simple.HASH_PDQ.te``:
  CSV rows ``indicator,descriptor id,added on,tags`` (tags space-separated); the
  signal type comes from the file name. Files from later pytx versions put the
  indicator id first; such 5-column rows are accepted too.
- ``plain``: one hash per line; the algorithm must be given.

CSV records are one per line (no quoted newlines), so every error has an exact
line number. A CSV cell that a spreadsheet would run as a formula (starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return) is written with a leading
``'`` (OWASP's advice against CSV injection), and so is a cell that already starts
with ``'`` before one of those; reading removes exactly that quote, so an exported
file imports back to the same values.

Parsing never drops a bad line silently: it returns the good records plus one
LineError (line number, reason) per bad line. Blank lines and ``#`` comments
are not data. Records with the same algorithm and hash are merged (tags
united) and counted in ``duplicates_merged``.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field, replace

from classifiers.hashing.distance import InvalidHashError, UnknownAlgorithmError, hex_length, normalize_hash
from classifiers.hashing.signal_types import (
    PYTX_NAMES,
    THREATEXCHANGE_TYPES,
    UnknownSignalTypeError,
    algorithm_for_signal_type,
)

HMA_CSV, PYTX_LINES, TE_SIMPLE, PLAIN = "hma_csv", "pytx_lines", "te_simple", "plain"
FORMATS = (HMA_CSV, PYTX_LINES, TE_SIMPLE, PLAIN)
HMA_CSV_COLUMNS = ("signal_type", "signal_str", "collab", "category", "tags")

_TE_FILENAME = re.compile(r"(?:^|[\\/])simple\.([A-Za-z0-9_]+)\.te$")
_MAX_ERROR_TEXT = 200


class FormatError(ValueError):
    """The file as a whole cannot be read in the requested format."""


@dataclass(frozen=True)
class HashRecord:
    algorithm: str
    hash: str
    tags: tuple[str, ...] = ()
    category: str = ""  # pytx category, e.g. INVESTIGATION_SEED
    collab: str = ""  # collaboration / source list name
    descriptor_id: str = ""  # ThreatExchange descriptor id
    added_on: str = ""
    line: int = 0  # first line the record came from (0 when not parsed)


@dataclass(frozen=True)
class LineError:
    line: int
    reason: str
    text: str = ""


@dataclass
class ParseResult:
    records: list[HashRecord] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)
    duplicates_merged: int = 0


def split_tags(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def te_simple_filename(algorithm: str) -> str:
    return f"simple.{_te_type(algorithm)}.te"


def algorithm_from_filename(filename: str) -> str | None:
    match = _TE_FILENAME.search(filename or "")
    if not match:
        return None
    try:
        return algorithm_for_signal_type(match.group(1))
    except UnknownSignalTypeError:
        return None


# -- parsing ---------------------------------------------------------------


class _Collector:
    """Validates records, records errors and merges duplicates in file order."""

    def __init__(self) -> None:
        self.result = ParseResult()
        self._index: dict[tuple[str, str], int] = {}

    def error(self, line: int, reason: str, text: str = "") -> None:
        self.result.errors.append(LineError(line, reason, text[:_MAX_ERROR_TEXT]))

    def add(self, line: int, text: str, algorithm: str, value: str, **fields) -> None:
        try:
            value = normalize_hash(algorithm, value)
        except InvalidHashError as exc:
            self.error(line, str(exc), text)
            return
        record = HashRecord(algorithm=algorithm, hash=value, line=line, **fields)
        key = (algorithm, value)
        at = self._index.get(key)
        if at is None:
            self._index[key] = len(self.result.records)
            self.result.records.append(record)
            return
        self.result.duplicates_merged += 1
        self.result.records[at] = _merge(self.result.records[at], record)


def _merge(first: HashRecord, other: HashRecord) -> HashRecord:
    tags = first.tags + tuple(t for t in other.tags if t not in first.tags)
    return replace(
        first,
        tags=tags,
        category=first.category or other.category,
        collab=first.collab or other.collab,
        descriptor_id=first.descriptor_id or other.descriptor_id,
        added_on=first.added_on or other.added_on,
    )


def _logical_lines(text: str):
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if stripped and not stripped.startswith("#"):
            yield number, line, stripped


def parse_plain(text: str, algorithm: str) -> ParseResult:
    hex_length(algorithm)  # raises UnknownAlgorithmError early
    out = _Collector()
    for number, line, stripped in _logical_lines(text):
        out.add(number, line, algorithm, stripped)
    return out.result


def parse_pytx_lines(text: str) -> ParseResult:
    out = _Collector()
    for number, line, stripped in _logical_lines(text):
        parts = stripped.split()
        if len(parts) != 2:
            out.error(number, f"expected '<signal_type> <signal>', found {len(parts)} fields", line)
            continue
        try:
            algorithm = algorithm_for_signal_type(parts[0])
        except UnknownSignalTypeError as exc:
            out.error(number, str(exc), line)
            continue
        out.add(number, line, algorithm, parts[1])
    return out.result


def _csv_rows(text: str):
    """(line number, row or None, problem) per data line.

    Each physical line is one CSV record: hash lists never need quoted
    newlines, and an unbalanced quote must cost one line, not swallow the rest
    of the file.
    """
    for number, line, _ in _logical_lines(text):
        try:
            row = next(csv.reader([line], strict=True))
        except csv.Error as exc:
            yield number, None, str(exc), line
            continue
        yield number, [unescape_cell(cell) for cell in row], "", line


def parse_hma_csv(text: str) -> ParseResult:
    out = _Collector()
    columns: dict[str, int] | None = None
    for number, row, problem, raw in _csv_rows(text):
        if row is None:
            out.error(number, f"malformed CSV: {problem}", raw)
            continue
        if columns is None:
            columns, width = _hma_header(row), len(row)
            continue
        if len(row) != width:
            out.error(number, f"expected {width} columns, found {len(row)}", raw)
            continue
        cell = {name: row[i].strip() for name, i in columns.items()}
        try:
            algorithm = algorithm_for_signal_type(cell["signal_type"])
        except UnknownSignalTypeError as exc:
            out.error(number, str(exc), raw)
            continue
        out.add(
            number,
            raw,
            algorithm,
            cell["signal_str"],
            collab=cell.get("collab", ""),
            category=cell.get("category", ""),
            tags=split_tags(cell.get("tags", "")),
        )
    if columns is None:
        raise FormatError("empty file: expected a header " + ",".join(HMA_CSV_COLUMNS))
    return out.result


def _hma_header(row: list[str]) -> dict[str, int]:
    names = [cell.strip().lower() for cell in row]
    missing = [n for n in ("signal_type", "signal_str") if n not in names]
    if missing:
        raise FormatError(
            f"line 1 is not an HMA/pytx CSV header (missing {', '.join(missing)}); expected {','.join(HMA_CSV_COLUMNS)}"
        )
    # Unknown extra columns count in the width check but are otherwise ignored.
    return {name: names.index(name) for name in HMA_CSV_COLUMNS if name in names}


def parse_te_simple(text: str, algorithm: str) -> ParseResult:
    hex_length(algorithm)
    out = _Collector()
    for number, row, problem, raw in _csv_rows(text):
        if row is None:
            out.error(number, f"malformed CSV: {problem}", raw)
            continue
        if len(row) == 5 and row[0].strip().isdigit():
            row = row[1:]  # newer pytx: indicator id first
        if len(row) != 4:
            out.error(number, f"expected 4 columns (indicator, descriptor id, added on, tags), found {len(row)}", raw)
            continue
        indicator, descriptor_id, added_on, tags = (cell.strip() for cell in row)
        if descriptor_id and not descriptor_id.isdigit():
            out.error(number, f"descriptor id must be a number, got {descriptor_id!r}", raw)
            continue
        out.add(
            number, raw, algorithm, indicator, descriptor_id=descriptor_id, added_on=added_on, tags=split_tags(tags)
        )
    return out.result


def parse(text: str | bytes, fmt: str, algorithm: str | None = None, filename: str | None = None) -> ParseResult:
    """Parse a whole file. `algorithm` is needed for plain files and for simple
    files whose name does not carry the signal type."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise FormatError(f"file is not UTF-8 text (byte {exc.start})") from exc
    text = text.removeprefix("\ufeff")
    try:
        if fmt == HMA_CSV:
            return parse_hma_csv(text)
        if fmt == PYTX_LINES:
            return parse_pytx_lines(text)
        if fmt == TE_SIMPLE:
            chosen = algorithm or algorithm_from_filename(filename or "")
            if not chosen:
                raise FormatError("te_simple needs an algorithm or a file name like simple.HASH_PDQ.te")
            return parse_te_simple(text, chosen)
        if fmt == PLAIN:
            if not algorithm:
                raise FormatError("plain hash lists need an algorithm")
            return parse_plain(text, algorithm)
    except UnknownAlgorithmError as exc:
        raise FormatError(str(exc)) from exc
    raise FormatError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")


def detect_format(text: str, filename: str | None = None) -> str:
    """Best guess of a file's format, for pre-filling an import form."""
    if algorithm_from_filename(filename or ""):
        return TE_SIMPLE
    for _, _, stripped in _logical_lines(text):
        lowered = stripped.lower()
        if "signal_type" in lowered and "signal_str" in lowered:
            return HMA_CSV
        if "," in stripped:
            return TE_SIMPLE
        return PYTX_LINES if len(stripped.split()) == 2 else PLAIN
    return PLAIN


# -- writing ---------------------------------------------------------------


def _te_type(algorithm: str) -> str:
    try:
        return THREATEXCHANGE_TYPES[algorithm]
    except KeyError:
        raise FormatError(f"ThreatExchange has no indicator type for {algorithm}") from None


_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def _looks_escaped(cell: str) -> bool:
    return cell.startswith("'") and cell[1:].startswith(_FORMULA_STARTS + ("'",))


def escape_cell(cell: str) -> str:
    """Neutralise a cell a spreadsheet would evaluate. A cell that already looks escaped gets
    a quote too, so that unescape_cell is its exact inverse for every string."""
    return "'" + cell if cell.startswith(_FORMULA_STARTS) or _looks_escaped(cell) else cell


def unescape_cell(cell: str) -> str:
    """The inverse of escape_cell: drop the one quote it adds."""
    return cell[1:] if _looks_escaped(cell) else cell


def _csv_text(rows) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    # One record per line is part of the format: fold any newline in free text.
    writer.writerows([escape_cell(" ".join(str(cell).splitlines())) for cell in row] for row in rows)
    return buffer.getvalue()


def write_hma_csv(records) -> str:
    rows = [HMA_CSV_COLUMNS]
    rows += [(PYTX_NAMES[r.algorithm], r.hash, r.collab, r.category, " ".join(r.tags)) for r in records]
    return _csv_text(rows)


def write_pytx_lines(records) -> str:
    return "".join(f"{PYTX_NAMES[r.algorithm]} {r.hash}\n" for r in records)


def write_te_simple(records, algorithm: str) -> str:
    """One simple file holds one indicator type: name it with te_simple_filename()."""
    _te_type(algorithm)
    _require_single_algorithm(records, algorithm)
    return _csv_text((r.hash, r.descriptor_id, r.added_on, " ".join(r.tags)) for r in records)


def write_plain(records, algorithm: str) -> str:
    _require_single_algorithm(records, algorithm)
    return "".join(f"{r.hash}\n" for r in records)


def _require_single_algorithm(records, algorithm: str) -> None:
    records = list(records) if not isinstance(records, list) else records
    others = {r.algorithm for r in records} - {algorithm}
    if others:
        raise FormatError(f"this format holds one algorithm ({algorithm}); also got {sorted(others)}")


def write(records, fmt: str, algorithm: str | None = None) -> str:
    records = list(records)
    if fmt == HMA_CSV:
        return write_hma_csv(records)
    if fmt == PYTX_LINES:
        return write_pytx_lines(records)
    if fmt in (TE_SIMPLE, PLAIN):
        if not algorithm:
            raise FormatError(f"{fmt} export needs an algorithm")
        return write_te_simple(records, algorithm) if fmt == TE_SIMPLE else write_plain(records, algorithm)
    raise FormatError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")

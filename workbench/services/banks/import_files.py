"""Import files on disk, and reading them back as numbered chunks of parsed records.

The uploaded file is kept (content-addressed, like blobs) so that a retried import job,
on any worker that shares the directory, reads exactly the same bytes. Parsing is done a
chunk of lines at a time, so a million-line list never sits in memory as objects; line
numbers are those of the whole file.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from classifiers.hashing.formats import HMA_CSV, LineError, ParseResult, parse

_COPY_BUFFER = 1024 * 1024
# Characters str.splitlines() breaks on besides \n: inside one physical line they would
# shift every later line number, so they are read as spaces.
_OTHER_LINE_BREAKS = {ord(c): " " for c in "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"}


class ImportFileMissing(FileNotFoundError):
    pass


class FileTooLarge(ValueError):
    pass


@dataclass(frozen=True)
class StoredFile:
    sha256: str
    size: int
    lines: int


class ImportFileStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256

    def save(self, stream: BinaryIO, max_bytes: int) -> StoredFile:
        """Copy `stream` in (hashing and counting lines as it goes); atomic, idempotent."""
        self.root.mkdir(parents=True, exist_ok=True)
        digest, size, newlines, last = hashlib.sha256(), 0, 0, b""
        fd, tmp_name = tempfile.mkstemp(dir=self.root, prefix=".upload-")
        try:
            with os.fdopen(fd, "wb") as handle:
                while chunk := stream.read(_COPY_BUFFER):
                    size += len(chunk)
                    if size > max_bytes:
                        raise FileTooLarge(f"the file exceeds {max_bytes} bytes")
                    digest.update(chunk)
                    newlines += chunk.count(b"\n")
                    last = chunk[-1:]
                    handle.write(chunk)
                handle.flush()
                os.fsync(handle.fileno())
            sha256 = digest.hexdigest()
            path = self.path_for(sha256)
            path.parent.mkdir(parents=True, exist_ok=True)
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        lines = newlines + (1 if size and last != b"\n" else 0)
        return StoredFile(sha256, size, lines)

    def open(self, sha256: str) -> BinaryIO:
        try:
            return open(self.path_for(sha256), "rb")
        except FileNotFoundError as exc:
            raise ImportFileMissing(f"import file {sha256} is gone from {self.root}") from exc


def numbered_lines(handle: BinaryIO) -> Iterator[tuple[int, str | None]]:
    """(line number, text) per physical line; text is None when the line is not UTF-8."""
    for number, raw in enumerate(handle, start=1):
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]
        raw = raw.rstrip(b"\r\n")
        try:
            yield number, raw.decode("utf-8").translate(_OTHER_LINE_BREAKS)
        except UnicodeDecodeError:
            yield number, None


def first_logical_line(handle: BinaryIO) -> tuple[int, str] | None:
    """The first line that is neither blank nor a # comment (an HMA CSV's header)."""
    for number, text in numbered_lines(handle):
        if text is None:
            return number, ""
        stripped = text.strip()
        if stripped and not stripped.startswith("#"):
            return number, text
    return None


def parse_chunk(
    lines: list[tuple[int, str | None]], fmt: str, algorithm: str | None, filename: str, header: tuple[int, str] | None
) -> ParseResult:
    """Parse consecutive lines of a file; line numbers in the result are the file's.

    For an HMA CSV whose header lies before this chunk, the header is put in front so
    the parser finds its columns.
    """
    undecodable = [LineError(number, "not UTF-8 text") for number, text in lines if text is None]
    texts = [text or "" for _, text in lines]
    numbers = [number for number, _ in lines]
    if fmt == HMA_CSV and header is not None and lines and header[0] > lines[-1][0]:
        return ParseResult(errors=undecodable)  # only blank lines and comments before the header
    if fmt == HMA_CSV and header is not None and lines and header[0] < lines[0][0]:
        texts.insert(0, header[1])
        numbers.insert(0, header[0])
    result = parse("\n".join(texts), fmt, algorithm=algorithm, filename=filename)
    result.errors = sorted(
        [LineError(numbers[error.line - 1], error.reason, error.text) for error in result.errors] + undecodable,
        key=lambda error: error.line,
    )
    return result

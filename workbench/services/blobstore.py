"""Content-addressed blob storage on local disk.

Files are named by their SHA-256 and written atomically (temporary file, fsync, rename),
so a reader never sees half a file. `reserve` holds a per-hash file lock from writing the
bytes until the caller's database transaction has committed or been rolled back: a failed
request removes the file it created, and can never remove one another request relies on.
Take the reservation before opening the database transaction, never inside it, so the
lock order is always blob lock, then database.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


class BlobNotFound(LookupError):
    pass


class Reservation:
    def __init__(self, sha256: str, created: bool):
        self.sha256 = sha256
        self.created = created  # False when the same bytes were already stored
        self.kept = False

    def keep(self) -> None:
        self.kept = True


class BlobStore:
    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    def path_for(self, sha256: str) -> Path:
        if len(sha256) != 64 or any(c not in "0123456789abcdef" for c in sha256):
            raise ValueError("not a SHA-256 hex digest")
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def exists(self, sha256: str) -> bool:
        return self.path_for(sha256).exists()

    def read(self, sha256: str) -> bytes:
        try:
            return self.path_for(sha256).read_bytes()
        except FileNotFoundError as exc:
            raise BlobNotFound(sha256) from exc

    def delete(self, sha256: str) -> bool:
        with self._locked(sha256):
            return self.delete_while_locked(sha256)

    @contextlib.contextmanager
    def locked(self, sha256: str) -> Iterator[None]:
        """The lock `reserve` and `delete` take, for a check-then-delete (retention); take it
        before the database transaction, like `reserve`."""
        with self._locked(sha256):
            yield

    def delete_while_locked(self, sha256: str) -> bool:
        """Delete under a lock the caller holds through `locked` (flock is not re-entrant)."""
        try:
            self.path_for(sha256).unlink()
            return True
        except FileNotFoundError:
            return False

    @contextlib.contextmanager
    def reserve(self, data: bytes) -> Iterator[Reservation]:
        """Store `data` under a lock; the file is removed on exit unless `keep()` was called.

        Call `keep()` once the row that references the blob has committed.
        """
        sha256 = hashlib.sha256(data).hexdigest()
        with self._locked(sha256):
            path = self.path_for(sha256)
            reservation = Reservation(sha256, created=not path.exists())
            if reservation.created:
                self._write_atomically(path, data)
            try:
                yield reservation
            finally:
                if reservation.created and not reservation.kept:
                    path.unlink(missing_ok=True)

    def _write_atomically(self, path: Path, data: bytes) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.chmod(tmp_name, 0o640)
            os.replace(tmp_name, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp_name)
            raise
        dir_fd = os.open(path.parent, os.O_RDONLY)
        try:
            os.fsync(dir_fd)  # make the rename itself durable
        finally:
            os.close(dir_fd)

    @contextlib.contextmanager
    def _locked(self, sha256: str) -> Iterator[None]:
        lock_dir = self.root / ".locks"
        lock_dir.mkdir(parents=True, exist_ok=True)
        with open(lock_dir / sha256[:4], "a+b") as lock_file:  # 65,536 lock files at most
            fcntl.flock(lock_file, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(lock_file, fcntl.LOCK_UN)

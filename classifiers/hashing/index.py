"""Exact Hamming-distance index for 256-bit (PDQ) and 64-bit (pHash/dHash) hashes.

Multi-index hashing: a hash is cut into 16-bit chunks. If two hashes differ in
at most t bits and there are m chunks, then by the pigeonhole principle some
chunk differs in at most floor(t / m) bits. So probing every chunk's posting
list with every value within that radius finds a superset of the matches,
and verifying those candidates with XOR + popcount makes the answer exact.
For PDQ at 31: 16 chunks, radius 1, 17 probes per chunk.

Changes never rebuild the index: an added hash lands in a small append
buffer (scanned by brute force) that is merged into the posting lists once it
holds `merge_every` rows; a removed entry is a tombstone, and the posting
lists are compacted when tombstones pass a fraction of the rows. Both costs
are amortised over many changes.

Entry ids are integers (bank entry primary keys). The index is safe to share
between a query thread and a change-feed thread: every method takes a lock.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence

import numpy as np

from classifiers.hashing.distance import bit_length, normalize_hash
from classifiers.hashing.postings import ChunkPostings, chunk_values

DEFAULT_MERGE_EVERY = 1024
# Compact when tombstones exceed this share of rows (and at least _MIN_DEAD).
_COMPACT_FRACTION = 0.2
_MIN_DEAD = 4096
_NO_ROW = -1


class HammingIndex:
    """Finds every entry within a Hamming distance of a query, never approximately."""

    def __init__(self, bits: int = 256, merge_every: int = DEFAULT_MERGE_EVERY) -> None:
        if bits % 64 != 0 or bits <= 0:
            raise ValueError("bits must be a positive multiple of 64")
        self.bits = bits
        self.nbytes_per_hash = bits // 8
        self.merge_every = merge_every
        self._lock = threading.RLock()
        self._postings = ChunkPostings(bits // 16)
        self._reset_rows(0)

    @classmethod
    def for_algorithm(cls, algorithm: str, **kwargs) -> HammingIndex:
        return cls(bits=bit_length(algorithm), **kwargs)

    # -- storage ---------------------------------------------------------
    def _reset_rows(self, capacity: int) -> None:
        self._hashes = np.zeros((capacity, self.nbytes_per_hash), dtype=np.uint8)
        self._ids = np.zeros(capacity, dtype=np.int64)
        self._alive = np.zeros(capacity, dtype=bool)
        self._n_rows = 0
        self._n_dead = 0
        # Rows [0, _n_sorted) were bulk-built in ascending id order: found by
        # binary search. Rows added later are found through this small dict.
        self._n_sorted = 0
        self._added_rows: dict[int, int] = {}

    def _ensure_capacity(self, needed: int) -> None:
        if needed <= len(self._ids):
            return
        capacity = max(needed, int(len(self._ids) * 1.25) + 1024)
        for name in ("_hashes", "_ids", "_alive"):
            old = getattr(self, name)
            grown = np.zeros((capacity,) + old.shape[1:], dtype=old.dtype)
            grown[: self._n_rows] = old[: self._n_rows]
            setattr(self, name, grown)

    def _words(self) -> np.ndarray:
        """Stored hashes as uint64 words, for XOR + popcount."""
        return self._hashes.view(np.uint64)

    @property
    def memory_bytes(self) -> int:
        """Bytes held by the index's arrays and id map (its own footprint)."""
        arrays = self._hashes.nbytes + self._ids.nbytes + self._alive.nbytes
        # A dict slot plus two small ints costs roughly 100 bytes in CPython.
        return int(arrays + self._postings.nbytes + 100 * len(self._added_rows))

    def __len__(self) -> int:
        return self._n_rows - self._n_dead

    def __contains__(self, entry_id: int) -> bool:
        with self._lock:
            return self._row_of(int(entry_id)) != _NO_ROW

    # -- building --------------------------------------------------------
    def build(self, entry_ids: Sequence[int] | np.ndarray, hashes: np.ndarray | Sequence[str]) -> None:
        """Replace the contents: `hashes` is (n, bits/8) uint8 or a sequence of hex strings."""
        ids = np.asarray(entry_ids, dtype=np.int64).reshape(-1)
        data = self._as_hash_array(hashes)
        if len(ids) != len(data):
            raise ValueError(f"{len(ids)} entry ids but {len(data)} hashes")
        order = np.argsort(ids, kind="stable")
        ids, data = ids[order], data[order]
        if len(ids) > 1 and bool((ids[1:] == ids[:-1]).any()):
            raise ValueError("duplicate entry ids in build input")
        with self._lock:
            self._load_sorted(ids, data)

    def _load_sorted(self, ids: np.ndarray, data: np.ndarray) -> None:
        n = len(ids)
        self._reset_rows(0)
        self._hashes, self._ids = np.ascontiguousarray(data), ids
        self._alive = np.ones(n, dtype=bool)
        self._n_rows = self._n_sorted = n
        self._postings.build(chunk_values(self._hashes), np.arange(n, dtype=np.int32))

    def _as_hash_array(self, hashes: np.ndarray | Sequence[str]) -> np.ndarray:
        if isinstance(hashes, np.ndarray) and hashes.dtype == np.uint8:
            if hashes.ndim != 2 or hashes.shape[1] != self.nbytes_per_hash:
                raise ValueError(f"hash array must have shape (n, {self.nbytes_per_hash})")
            return np.ascontiguousarray(hashes)
        joined = b"".join(self._hash_bytes(h) for h in hashes)
        return np.frombuffer(joined, dtype=np.uint8).reshape(-1, self.nbytes_per_hash).copy()

    def _hash_bytes(self, value: str | bytes | np.ndarray) -> bytes:
        if isinstance(value, str):
            algorithm = "pdq" if self.bits == 256 else "phash"
            if self.bits in (64, 256):
                return bytes.fromhex(normalize_hash(algorithm, value))
            return bytes.fromhex(value)
        raw = bytes(value) if not isinstance(value, np.ndarray) else value.astype(np.uint8).tobytes()
        if len(raw) != self.nbytes_per_hash:
            raise ValueError(f"hash must be {self.nbytes_per_hash} bytes, got {len(raw)}")
        return raw

    # -- changes ---------------------------------------------------------
    def add(self, entry_id: int, hash_value: str | bytes | np.ndarray) -> None:
        """Add or replace one entry; visible to the next query."""
        raw = self._hash_bytes(hash_value)
        entry_id = int(entry_id)
        with self._lock:
            self._remove_locked(entry_id)
            row = self._n_rows
            self._ensure_capacity(row + 1)
            self._hashes[row] = np.frombuffer(raw, dtype=np.uint8)
            self._ids[row] = entry_id
            self._alive[row] = True
            self._added_rows[entry_id] = row
            self._n_rows += 1
            if self._n_rows - self._postings.size >= self.merge_every:
                self._merge_buffer()

    def remove(self, entry_id: int) -> bool:
        """Remove one entry; returns False when it was not in the index."""
        with self._lock:
            removed = self._remove_locked(int(entry_id))
            if removed and self._n_dead >= max(_MIN_DEAD, _COMPACT_FRACTION * self._n_rows):
                self._compact()
            return removed

    def _remove_locked(self, entry_id: int) -> bool:
        row = self._row_of(entry_id)
        if row == _NO_ROW:
            return False
        self._alive[row] = False
        self._added_rows.pop(entry_id, None)
        self._n_dead += 1
        return True

    def _row_of(self, entry_id: int) -> int:
        row = self._added_rows.get(entry_id, _NO_ROW)
        if row != _NO_ROW:
            return row
        if self._n_sorted:
            at = int(np.searchsorted(self._ids[: self._n_sorted], entry_id))
            if at < self._n_sorted and self._ids[at] == entry_id and self._alive[at]:
                return at
        return _NO_ROW

    def _merge_buffer(self) -> None:
        start, stop = self._postings.size, self._n_rows
        self._postings.merge(chunk_values(self._hashes[start:stop]), np.arange(start, stop, dtype=np.int32))

    def _compact(self) -> None:
        """Drop tombstones: rebuild from the live rows (amortised over many removes)."""
        live = np.flatnonzero(self._alive[: self._n_rows])
        ids, data = self._ids[live], self._hashes[live]
        order = np.argsort(ids, kind="stable")
        self._load_sorted(ids[order], data[order])

    # -- queries ---------------------------------------------------------
    def query(self, hash_value: str | bytes | np.ndarray, max_distance: int) -> list[tuple[int, int]]:
        """Every (entry_id, distance) with distance <= max_distance, nearest first."""
        if max_distance < 0:
            return []
        raw = np.frombuffer(self._hash_bytes(hash_value), dtype=np.uint8)
        query_words = raw.view(np.uint64)
        with self._lock:
            rows = self._candidate_rows(raw, max_distance)
            if len(rows) == 0:
                return []
            dist = self._distances(rows, query_words)
            hit = (dist <= max_distance) & self._alive.take(rows)
            rows, dist = rows[hit], dist[hit]
            if len(rows) == 0:
                return []
            # A row can be a candidate through several chunks: keep it once.
            rows, first = np.unique(rows, return_index=True)
            ids, dist = self._ids[rows], dist[first]
        order = np.lexsort((ids, dist))
        return list(zip(ids[order].tolist(), dist[order].tolist()))

    def _distances(self, rows: np.ndarray, query_words: np.ndarray) -> np.ndarray:
        words = self._words().take(rows, axis=0)
        np.bitwise_xor(words, query_words, out=words)
        counts = np.bitwise_count(words)  # uint8 per 64-bit word
        # Column adds: numpy's sum over a short inner axis is several times slower.
        dist = counts[:, 0].astype(np.int32)
        for column in range(1, counts.shape[1]):
            dist += counts[:, column]
        return dist

    def _candidate_rows(self, raw: np.ndarray, max_distance: int) -> np.ndarray:
        postings = self._postings
        radius = max_distance // postings.n_chunks
        buffered = np.arange(postings.size, self._n_rows, dtype=np.int64)
        # Large radii probe more buckets than a linear scan would touch.
        if postings.expected_candidates(radius) > self._n_rows / 4:
            return np.arange(self._n_rows, dtype=np.int64)
        indexed = postings.candidates(chunk_values(raw[None, :])[0].astype(np.int64), radius)
        if len(buffered) == 0:
            return indexed
        return np.concatenate([indexed.astype(np.int64), buffered])

    def get(self, entry_id: int) -> str | None:
        """The stored hash of an entry as hex, or None."""
        with self._lock:
            row = self._row_of(int(entry_id))
            return None if row == _NO_ROW else self._hashes[row].tobytes().hex()

    def entry_ids(self) -> np.ndarray:
        with self._lock:
            return np.sort(self._ids[: self._n_rows][self._alive[: self._n_rows]])


class ExactIndex:
    """Equality lookup for cryptographic hashes (MD5, SHA-256): a plain dict."""

    def __init__(self) -> None:
        self._by_hash: dict[str, set[int]] = {}
        self._by_entry: dict[int, str] = {}
        self._lock = threading.RLock()

    def build(self, pairs: Iterable[tuple[int, str]]) -> None:
        with self._lock:
            self._by_hash.clear()
            self._by_entry.clear()
            for entry_id, value in pairs:
                self.add(entry_id, value)

    def add(self, entry_id: int, value: str) -> None:
        key = value.strip().lower()
        with self._lock:
            self.remove(entry_id)
            self._by_hash.setdefault(key, set()).add(int(entry_id))
            self._by_entry[int(entry_id)] = key

    def remove(self, entry_id: int) -> bool:
        with self._lock:
            key = self._by_entry.pop(int(entry_id), None)
            if key is None:
                return False
            ids = self._by_hash[key]
            ids.discard(int(entry_id))
            if not ids:
                del self._by_hash[key]
            return True

    def query(self, value: str) -> list[int]:
        with self._lock:
            return sorted(self._by_hash.get(value.strip().lower(), ()))

    def __len__(self) -> int:
        return len(self._by_entry)

    def __contains__(self, entry_id: int) -> bool:
        return int(entry_id) in self._by_entry

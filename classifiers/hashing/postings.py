"""Compact posting lists for multi-index hashing.

A hash of B bits is cut into B/16 chunks of 16 bits. For every chunk position
we keep the row numbers of all indexed hashes sorted by that chunk's value, in
CSR form: `offsets[c, v]:offsets[c, v + 1]` is the slice of `rows[c]` holding
the rows whose chunk c equals v. Memory is 4 bytes per row per chunk plus a
fixed 256 KiB of offsets per chunk, instead of Python lists of ints.
"""

from __future__ import annotations

from functools import lru_cache
from itertools import combinations

import numpy as np

CHUNK_BITS = 16
N_KEYS = 1 << CHUNK_BITS
# Spare columns kept after the last row so that merges write in place.
_MIN_SLACK = 4096


@lru_cache(maxsize=8)
def flip_masks(radius: int) -> np.ndarray:
    """All 16-bit masks with at most `radius` bits set (the probes of one chunk)."""
    masks = [0]
    for r in range(1, radius + 1):
        for bits in combinations(range(CHUNK_BITS), r):
            masks.append(sum(1 << b for b in bits))
    return np.array(masks, dtype=np.int64)


def chunk_values(hashes_u8: np.ndarray) -> np.ndarray:
    """(n, nbytes) uint8 hashes -> (n, nbytes // 2) big-endian 16-bit chunks (a view)."""
    return np.ascontiguousarray(hashes_u8).view(">u2")


class ChunkPostings:
    """Per-chunk CSR posting lists over row numbers, with in-place merges."""

    def __init__(self, n_chunks: int) -> None:
        self.n_chunks = n_chunks
        self.size = 0  # rows indexed
        self.offsets = np.zeros((n_chunks, N_KEYS + 1), dtype=np.int32)
        self.rows = np.empty((n_chunks, _MIN_SLACK), dtype=np.int32)
        # Flat views used by candidate lookups; refreshed when arrays change.
        self._refresh_views()

    def _refresh_views(self) -> None:
        self._flat_offsets = self.offsets.reshape(-1)
        self._flat_rows = self.rows.reshape(-1)
        self._offset_base = (np.arange(self.n_chunks, dtype=np.int64) * (N_KEYS + 1))[:, None]
        self._row_base = (np.arange(self.n_chunks, dtype=np.int64) * self.rows.shape[1])[:, None]

    @property
    def nbytes(self) -> int:
        return int(self.offsets.nbytes + self.rows.nbytes)

    def build(self, chunks: np.ndarray, row_numbers: np.ndarray) -> None:
        """Replace the contents with `row_numbers`, whose chunk values are `chunks`."""
        n = len(row_numbers)
        capacity = n + max(_MIN_SLACK, n // 32)
        self.rows = np.empty((self.n_chunks, capacity), dtype=np.int32)
        self.offsets = np.zeros((self.n_chunks, N_KEYS + 1), dtype=np.int32)
        row_numbers = np.asarray(row_numbers, dtype=np.int32)
        for c in range(self.n_chunks):
            keys = chunks[:, c].astype(np.uint16)  # native order: one column at a time
            # Stable sort keeps rows ascending within a bucket (radix sort for 16 bits).
            order = np.argsort(keys, kind="stable")
            self.rows[c, :n] = row_numbers[order]
            np.cumsum(np.bincount(keys, minlength=N_KEYS), out=self.offsets[c, 1:])
        self.size = n
        self._refresh_views()

    def merge(self, chunks: np.ndarray, row_numbers: np.ndarray) -> None:
        """Add rows to the posting lists, appending each at the end of its bucket."""
        k = len(row_numbers)
        if k == 0:
            return
        n = self.size
        if n + k > self.rows.shape[1]:
            self._grow(n + k)
        row_numbers = np.asarray(row_numbers, dtype=np.int32)
        for c in range(self.n_chunks):
            keys = chunks[:, c].astype(np.int64)
            order = np.argsort(keys, kind="stable")
            sorted_keys = keys[order]
            # Positions in the old list: the end of each new row's bucket.
            insert_at = self.offsets[c, sorted_keys + 1]
            merged = np.insert(self.rows[c, :n], insert_at, row_numbers[order])
            self.rows[c, : n + k] = merged
            self.offsets[c, 1:] += np.cumsum(np.bincount(keys, minlength=N_KEYS), dtype=np.int32)
        self.size = n + k

    def _grow(self, needed: int) -> None:
        capacity = max(needed + _MIN_SLACK, int(self.rows.shape[1] * 1.25))
        grown = np.empty((self.n_chunks, capacity), dtype=np.int32)
        grown[:, : self.size] = self.rows[:, : self.size]
        self.rows = grown
        self._refresh_views()

    def candidates(self, query_chunks: np.ndarray, radius: int) -> np.ndarray:
        """Rows sharing, in some chunk, a value within `radius` bits of the query's.

        May contain a row several times (once per chunk that hits it).
        """
        keys = query_chunks[:, None] ^ flip_masks(radius)[None, :]  # (chunks, probes)
        at = keys + self._offset_base
        starts = self._flat_offsets[at]
        lengths = (self._flat_offsets[at + 1] - starts).ravel()
        total = int(lengths.sum())
        if total == 0:
            return np.empty(0, dtype=np.int32)
        starts = (starts + self._row_base).ravel()
        # Expand the (start, length) ranges into one index array without a Python loop.
        ends = np.cumsum(lengths)
        positions = np.repeat(starts - ends + lengths, lengths) + np.arange(total)
        return self._flat_rows.take(positions)

    def expected_candidates(self, radius: int) -> float:
        """Average candidate count for a random query, to choose index vs scan."""
        return len(flip_masks(radius)) * self.n_chunks * self.size / N_KEYS

"""Matching a video against many bank videos: every bank frame hash sits in one exact
`HammingIndex` (multi-index hashing), so a query costs one index probe per distinct query
frame instead of a comparison with every frame of every bank video. The candidate pairs
are then scored per video by the vPDQ rule, with each bank's own thresholds.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from classifiers.hashing.index import HammingIndex
from classifiers.video.vpdq import (
    DEFAULT_DISTANCE,
    DEFAULT_QUALITY,
    VpdqFrame,
    VpdqScore,
    matchable_hashes,
    score_pairs,
)


@dataclass(frozen=True)
class VideoCandidate:
    video_id: int
    pairs: tuple[tuple[int, int, int], ...]  # (query hash no., bank hash no., distance)
    n_query: int
    n_compared: int

    def score(self, distance: int = DEFAULT_DISTANCE) -> VpdqScore:
        return score_pairs(self.pairs, self.n_query, self.n_compared, distance)


class VideoIndex:
    """Bank videos by id; `add` replaces, `remove` drops. Thread-safe."""

    def __init__(self, quality: int = DEFAULT_QUALITY):
        self.quality = quality
        self._index = HammingIndex(256)
        self._lock = threading.RLock()
        self._next_key = 1
        self._owner: dict[int, tuple[int, int]] = {}  # index key -> (video id, hash no.)
        self._keys: dict[int, list[int]] = {}  # video id -> its index keys

    def __len__(self) -> int:
        return len(self._keys)

    def __contains__(self, video_id: int) -> bool:
        return video_id in self._keys

    def build(self, videos: Iterable[tuple[int, Sequence[VpdqFrame]]]) -> None:
        ids, hashes = [], []
        with self._lock:
            self._owner, self._keys, self._next_key = {}, {}, 1
            for video_id, frames in videos:
                keys = []
                for number, value in enumerate(matchable_hashes(frames, self.quality)):
                    key = self._next_key
                    self._next_key += 1
                    self._owner[key] = (video_id, number)
                    keys.append(key)
                    ids.append(key)
                    hashes.append(bytes.fromhex(value))
                self._keys[video_id] = keys
            raw = (
                np.frombuffer(b"".join(hashes), dtype=np.uint8).reshape(-1, 32)
                if hashes
                else np.zeros((0, 32), dtype=np.uint8)
            )
            self._index = HammingIndex(256)
            self._index.build(np.asarray(ids, dtype=np.int64), raw)

    def add(self, video_id: int, frames: Sequence[VpdqFrame]) -> None:
        with self._lock:
            self.remove(video_id)
            keys = []
            for number, value in enumerate(matchable_hashes(frames, self.quality)):
                key = self._next_key
                self._next_key += 1
                self._owner[key] = (video_id, number)
                self._index.add(key, value)
                keys.append(key)
            self._keys[video_id] = keys

    def remove(self, video_id: int) -> bool:
        with self._lock:
            keys = self._keys.pop(video_id, None)
            if keys is None:
                return False
            for key in keys:
                self._index.remove(key)
                self._owner.pop(key, None)
            return True

    def candidates(self, query: Sequence[VpdqFrame], max_distance: int = DEFAULT_DISTANCE) -> list[VideoCandidate]:
        """Every bank video sharing at least one frame within `max_distance` with the query."""
        hashes = matchable_hashes(query, self.quality)
        found: dict[int, list[tuple[int, int, int]]] = {}
        with self._lock:
            for q_number, value in enumerate(hashes):
                for key, distance in self._index.query(value, max_distance):
                    owner = self._owner.get(int(key))
                    if owner is not None:
                        found.setdefault(owner[0], []).append((q_number, owner[1], int(distance)))
            return [
                VideoCandidate(video_id, tuple(pairs), len(hashes), len(self._keys[video_id]))
                for video_id, pairs in sorted(found.items())
            ]

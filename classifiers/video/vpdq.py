"""vPDQ: PDQ hashes of frames sampled at a fixed rate, each with its quality and time,
and the vPDQ matching rule (ThreatExchange's vpdq): a query video matches a bank video
when enough of the query's distinct frame hashes lie within the PDQ distance of some frame
of the bank video (query match %) and, optionally, enough of the bank video's frames are
found in the query (compared match %). Frames below the quality threshold are ignored.

Text form, one frame per line: `pdqhex,quality,timestamp` (seconds, three decimals).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import pdqhash

from classifiers.hashing.pdq import bits_to_hex
from classifiers.video.media import iter_frames_every

DEFAULT_FRAMES_PER_S = 1.0
DEFAULT_DISTANCE = 31
DEFAULT_QUALITY = 50
DEFAULT_QUERY_MATCH_PCT = 80.0
DEFAULT_COMPARED_MATCH_PCT = 0.0
MAX_FRAMES = 3600


class VpdqFormatError(ValueError):
    pass


@dataclass(frozen=True)
class VpdqFrame:
    pdq: str  # 64 hex characters
    quality: int  # 0..100
    timestamp: float  # seconds from the start

    def line(self) -> str:
        return f"{self.pdq},{self.quality},{self.timestamp:.3f}"


def hash_frames(
    data: bytes, frames_per_s: float = DEFAULT_FRAMES_PER_S, max_frames: int = MAX_FRAMES
) -> list[VpdqFrame]:
    """vPDQ of a video: one PDQ per 1/frames_per_s seconds. Raises VideoDecodeError."""
    out = []
    for frame in iter_frames_every(data, 1.0 / frames_per_s, max_frames=max_frames):
        bits, quality = pdqhash.compute(frame.rgb)
        out.append(VpdqFrame(bits_to_hex(bits), int(quality), frame.time_ms / 1000.0))
    return out


def to_text(frames: Iterable[VpdqFrame]) -> str:
    return "".join(frame.line() + "\n" for frame in frames)


def parse_text(text: str, max_frames: int = MAX_FRAMES) -> list[VpdqFrame]:
    """Read `pdqhex,quality,timestamp` lines; blank lines and # comments are skipped."""
    frames = []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        parts = [part.strip() for part in line.split(",")]
        if len(parts) != 3:
            raise VpdqFormatError(f"line {number}: expected 'pdqhex,quality,timestamp'")
        pdq, quality, timestamp = parts
        pdq = pdq.lower()
        if len(pdq) != 64 or any(c not in "0123456789abcdef" for c in pdq):
            raise VpdqFormatError(f"line {number}: the PDQ hash must be 64 hex characters")
        try:
            q, ts = int(quality), float(timestamp)
        except ValueError:
            raise VpdqFormatError(f"line {number}: quality must be an integer and timestamp a number") from None
        if not 0 <= q <= 100 or not 0 <= ts < 10**7:
            raise VpdqFormatError(f"line {number}: quality 0-100 and a non-negative timestamp")
        frames.append(VpdqFrame(pdq, q, ts))
        if len(frames) > max_frames:
            raise VpdqFormatError(f"more than {max_frames} frames")
    if not frames:
        raise VpdqFormatError("no frames")
    return frames


def matchable_hashes(frames: Sequence[VpdqFrame], quality: int = DEFAULT_QUALITY) -> list[str]:
    """The distinct hashes of the frames good enough to match (vPDQ compares sets)."""
    return sorted({frame.pdq for frame in frames if frame.quality >= quality})


def hamming(a: str, b: str) -> int:
    return (int(a, 16) ^ int(b, 16)).bit_count()


@dataclass(frozen=True)
class VpdqScore:
    query_match_pct: float
    compared_match_pct: float

    def passes(
        self, query_pct: float = DEFAULT_QUERY_MATCH_PCT, compared_pct: float = DEFAULT_COMPARED_MATCH_PCT
    ) -> bool:
        return self.query_match_pct >= query_pct and self.compared_match_pct >= compared_pct


def score_pairs(pairs: Iterable[tuple[int, int, int]], n_query: int, n_compared: int, distance: int) -> VpdqScore:
    """From (query hash, compared hash, distance) pairs: the share of each side's distinct
    hashes with at least one partner within `distance`."""
    query_hit, compared_hit = set(), set()
    for q, c, d in pairs:
        if d <= distance:
            query_hit.add(q)
            compared_hit.add(c)
    return VpdqScore(
        round(100.0 * len(query_hit) / n_query, 2) if n_query else 0.0,
        round(100.0 * len(compared_hit) / n_compared, 2) if n_compared else 0.0,
    )


def match_pair(
    query: Sequence[VpdqFrame],
    compared: Sequence[VpdqFrame],
    *,
    distance: int = DEFAULT_DISTANCE,
    quality: int = DEFAULT_QUALITY,
) -> VpdqScore:
    """Brute force for two videos (tests and small checks; banks use VideoIndex)."""
    q, c = matchable_hashes(query, quality), matchable_hashes(compared, quality)
    pairs = [(i, j, hamming(a, b)) for i, a in enumerate(q) for j, b in enumerate(c)]
    return score_pairs(pairs, len(q), len(c), distance)


def is_matchable(frame: VpdqFrame, quality: int = DEFAULT_QUALITY) -> bool:
    return frame.quality >= quality

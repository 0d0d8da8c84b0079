"""Chromaprint audio fingerprints through `fpcalc -raw` (Debian: libchromaprint-tools),
and matching them: raw fingerprints are 32-bit words, about 8 per second of audio; two
recordings of the same music give words that differ in few bits at the right offset.

The match slides the query over the reference (every offset), computes the bit error rate
of each aligned pair of words, smooths it over a few seconds and counts the words below
the threshold: trimming changes the offset, re-encoding and volume change a few bits, and
speech over the music raises the error rate only partly, so the count survives them all.
"""

from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass

import numpy as np

from classifiers.video.media import AudioCaps, decode_audio

# Chromaprint's default algorithm: one word per 4096/3 samples at 11025 Hz.
ITEM_S = 4096 / 3 / 11025
DEFAULT_MAX_BER = 0.35
DEFAULT_MIN_MATCH_S = 5.0
_SMOOTH_ITEMS = 16
_FPCALC_TIMEOUT_S = 120


class FingerprintError(RuntimeError):
    pass


@dataclass(frozen=True)
class AudioFingerprint:
    words: np.ndarray  # uint32
    duration_s: float

    def to_bytes(self) -> bytes:
        return self.words.astype("<u4").tobytes()

    @classmethod
    def from_bytes(cls, raw: bytes, duration_s: float) -> AudioFingerprint:
        return cls(np.frombuffer(raw, dtype="<u4").astype(np.uint32), duration_s)


@dataclass(frozen=True)
class MusicMatch:
    matched_s: float  # seconds of the query that carry the reference
    offset_s: float  # where in the reference the query starts (negative: before it)
    bit_error_rate: float  # over the matched part
    coverage: float  # matched_s over the shorter of the two


def fpcalc_path() -> str | None:
    return shutil.which("fpcalc")


def fingerprint_pcm(pcm: np.ndarray, sample_rate: int = 11025) -> AudioFingerprint:
    """Fingerprint mono int16 samples with fpcalc (raw output)."""
    binary = fpcalc_path()
    if binary is None:
        raise FingerprintError("fpcalc is not installed (Debian package libchromaprint-tools)")
    try:  # raw samples on stdin: no temporary file, no container for FFmpeg to parse again
        result = subprocess.run(
            [
                binary,
                "-format",
                "s16le",
                "-rate",
                str(sample_rate),
                "-channels",
                "1",
                "-raw",
                "-plain",
                "-length",
                "0",
                "-",
            ],
            input=np.asarray(pcm, dtype="<i2").tobytes(),
            capture_output=True,
            timeout=_FPCALC_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise FingerprintError("fpcalc timed out") from exc
    text = result.stdout.decode("ascii", "replace").strip()
    # fpcalc reports "Error decoding audio frame (End of file)" at the end of raw input and
    # may exit non-zero after printing a complete fingerprint: the output is what counts.
    if not text or not text[0].isdigit():
        if len(pcm) < sample_rate * 3:  # chromaprint needs a few seconds
            return AudioFingerprint(np.zeros(0, dtype=np.uint32), len(pcm) / sample_rate)
        raise FingerprintError(f"fpcalc failed: {result.stderr.decode('utf-8', 'replace')[:200]}")
    words = np.array([int(word) & 0xFFFFFFFF for word in text.split(",") if word], dtype=np.uint32)
    return AudioFingerprint(words, round(len(pcm) / sample_rate, 3))


def fingerprint_media(data: bytes, caps: AudioCaps = AudioCaps()) -> AudioFingerprint | None:
    """The fingerprint of a video's or audio file's first audio track (up to `caps`); None without one."""
    pcm = decode_audio(data, 11025, caps)
    if pcm is None:
        return None
    return fingerprint_pcm(pcm)


def reference_phases(data: bytes, caps: AudioCaps = AudioCaps()) -> list[AudioFingerprint]:
    """A reference track fingerprinted at three sub-word shifts of its start.

    A trimmed copy starts anywhere inside a word (1365 samples); compared at the wrong
    phase its words differ in ~25% of bits. Storing the reference at 0, 1/3 and 2/3 of a
    word keeps every query within a sixth of a word of one of them."""
    pcm = decode_audio(data, 11025, caps)
    if pcm is None:
        raise FingerprintError("the file has no audio track")
    step = int(round(ITEM_S * 11025))
    return [fingerprint_pcm(pcm[shift:]) for shift in (0, step // 3, 2 * step // 3)]


def match_any(query: AudioFingerprint, phases: list[AudioFingerprint], **kwargs) -> MusicMatch | None:
    """The best match of `query` against any phase of a reference."""
    found = [m for m in (match(query, phase, **kwargs) for phase in phases) if m is not None]
    return max(found, key=lambda m: (m.matched_s, -m.bit_error_rate)) if found else None


def _smoothed_errors(query: np.ndarray, reference: np.ndarray, offset: int) -> np.ndarray:
    """Bit errors per aligned word (0..32) for query[i] vs reference[i + offset], smoothed."""
    q_lo, r_lo = max(0, -offset), max(0, offset)
    n = min(len(query) - q_lo, len(reference) - r_lo)
    if n <= 0:
        return np.zeros(0)
    errors = np.bitwise_count(query[q_lo : q_lo + n] ^ reference[r_lo : r_lo + n]).astype(np.float32)
    if n >= _SMOOTH_ITEMS:
        kernel = np.ones(_SMOOTH_ITEMS, dtype=np.float32) / _SMOOTH_ITEMS
        errors = np.convolve(errors, kernel, mode="same")
    return errors / 32.0


def match(
    query: AudioFingerprint,
    reference: AudioFingerprint,
    *,
    max_ber: float = DEFAULT_MAX_BER,
    min_match_s: float = DEFAULT_MIN_MATCH_S,
) -> MusicMatch | None:
    """The best alignment of `query` inside `reference`, or None below `min_match_s`."""
    q, r = query.words, reference.words
    if len(q) == 0 or len(r) == 0:
        return None
    best: tuple[int, int, float] | None = None  # (matched words, offset, ber)
    min_items = max(1, int(min_match_s / ITEM_S))
    for offset in range(-(len(q) - min_items), len(r) - min_items + 1):
        smoothed = _smoothed_errors(q, r, offset)
        good = smoothed <= max_ber
        count = int(good.sum())
        if count >= min_items and (best is None or count > best[0]):
            best = (count, offset, float(smoothed[good].mean()))
    if best is None:
        return None
    count, offset, ber = best
    matched_s = count * ITEM_S
    shorter = min(query.duration_s, reference.duration_s) or 1.0
    return MusicMatch(
        round(matched_s, 2), round(offset * ITEM_S, 2), round(ber, 4), round(min(1.0, matched_s / shorter), 3)
    )

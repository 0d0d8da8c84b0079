"""Matching a video item against the banks: its vPDQ frames against video entries (the
vPDQ rule, each bank's thresholds), each frame against image entries (a known picture
inside a video), and its audio fingerprint against the music reference tracks.

The video and music entries live in one in-memory `MediaBankIndex` per process, current
through the same change feed as the image matcher: a change to a vpdq or chromaprint
entry reloads that entry, a bank change reloads everything.
"""

from __future__ import annotations

import statistics
import threading
from dataclasses import dataclass, field

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.video.chromaprint import AudioFingerprint, MusicMatch, match_any
from classifiers.video.video_index import VideoIndex
from classifiers.video.vpdq import DEFAULT_QUALITY, VpdqFrame, is_matchable
from workbench.models import BankChange, BankChangeOp, BankEntry, HashBank
from workbench.models.media import BankVideoFrame, MusicTrack
from workbench.services.banks.feed import latest_change_id
from workbench.services.banks.matcher import BankMatcher
from workbench.services.banks.matching import BankHit, find_matches

MEDIA_ALGORITHMS = ("vpdq", "chromaprint")
_EXTENSION = "workbench_media_bank_index"
_create_lock = threading.Lock()


@dataclass(frozen=True)
class Track:
    entry_id: int
    bank_id: int
    title: str
    rights_holder: str
    territories: frozenset[str]
    phases: tuple[AudioFingerprint, ...]


@dataclass
class MediaHit:
    hit: BankHit
    detail: dict = field(default_factory=dict)


def _phases(track: MusicTrack) -> tuple[AudioFingerprint, ...]:
    out, start = [], 0
    for length in (int(n) for n in track.phase_lengths.split(",") if n):
        out.append(AudioFingerprint.from_bytes(track.fingerprint[start : start + 4 * length], track.duration_s))
        start += 4 * length
    return tuple(out)


class MediaBankIndex:
    def __init__(self) -> None:
        self.videos = VideoIndex(DEFAULT_QUALITY)
        self.video_bank: dict[int, int] = {}  # entry id -> bank id
        self.tracks: dict[int, Track] = {}
        self.position = -1
        self._lock = threading.RLock()

    def ensure_fresh(self, session: Session) -> None:
        with self._lock:
            latest = latest_change_id(session)
            if self.position < 0:
                self._reload(session)
            elif latest > self.position:
                changes = session.execute(
                    select(BankChange.op, BankChange.algorithm, BankChange.entry_lo).where(
                        BankChange.id > self.position, BankChange.id <= latest
                    )
                ).all()
                if any(
                    c.op != BankChangeOp.ENTRY_CHANGED or c.algorithm is None
                    for c in changes
                    if c.algorithm in MEDIA_ALGORITHMS + (None,)
                ):
                    self._reload(session)
                else:
                    for change in changes:
                        if change.algorithm in MEDIA_ALGORITHMS and change.entry_lo is not None:
                            self._reload_entry(session, change.entry_lo)
            self.position = latest

    def _enabled_entries(self, session: Session, algorithm: str, entry_id: int | None = None):
        statement = (
            select(BankEntry.id, BankEntry.bank_id)
            .join(HashBank, HashBank.id == BankEntry.bank_id)
            .where(BankEntry.algorithm == algorithm, BankEntry.disabled_at.is_(None), HashBank.enabled.is_(True))
        )
        if entry_id is not None:
            statement = statement.where(BankEntry.id == entry_id)
        return dict(session.execute(statement).all())

    def _reload(self, session: Session) -> None:
        banks = self._enabled_entries(session, "vpdq")
        frames: dict[int, list[VpdqFrame]] = {}
        for row in session.execute(
            select(
                BankVideoFrame.entry_id, BankVideoFrame.pdq, BankVideoFrame.quality, BankVideoFrame.time_ms
            ).order_by(BankVideoFrame.entry_id, BankVideoFrame.position)
        ):
            if row.entry_id in banks:
                frames.setdefault(row.entry_id, []).append(VpdqFrame(row.pdq, row.quality, row.time_ms / 1000))
        index = VideoIndex(DEFAULT_QUALITY)
        index.build(frames.items())
        self.videos, self.video_bank = index, banks
        music = self._enabled_entries(session, "chromaprint")
        self.tracks = {}
        for track in session.scalars(select(MusicTrack)):
            if track.entry_id in music:
                self.tracks[track.entry_id] = self._track(track, music[track.entry_id])

    @staticmethod
    def _track(track: MusicTrack, bank_id: int) -> Track:
        return Track(
            track.entry_id, bank_id, track.title, track.rights_holder, frozenset(track.territories), _phases(track)
        )

    def _reload_entry(self, session: Session, entry_id: int) -> None:
        video = self._enabled_entries(session, "vpdq", entry_id)
        if video:
            frames = [
                VpdqFrame(r.pdq, r.quality, r.time_ms / 1000)
                for r in session.scalars(
                    select(BankVideoFrame).where(BankVideoFrame.entry_id == entry_id).order_by(BankVideoFrame.position)
                )
            ]
            self.videos.add(entry_id, frames)
            self.video_bank[entry_id] = video[entry_id]
        else:
            self.videos.remove(entry_id)
            self.video_bank.pop(entry_id, None)
        music = self._enabled_entries(session, "chromaprint", entry_id)
        track = session.scalar(select(MusicTrack).where(MusicTrack.entry_id == entry_id)) if music else None
        if track is not None:
            self.tracks[entry_id] = self._track(track, music[entry_id])
        else:
            self.tracks.pop(entry_id, None)


def media_index_for(app: Flask) -> MediaBankIndex:
    index = app.extensions.get(_EXTENSION)
    if index is None:
        with _create_lock:
            index = app.extensions.setdefault(_EXTENSION, MediaBankIndex())
    return index


def _banks(session: Session, ids) -> dict[int, HashBank]:
    ids = sorted(set(ids))
    return {bank.id: bank for bank in session.scalars(select(HashBank).where(HashBank.id.in_(ids)))} if ids else {}


def match_video_entries(session: Session, index: MediaBankIndex, frames: list[VpdqFrame]) -> list[MediaHit]:
    """Video entries the frames match by the vPDQ rule of the entry's bank."""
    enabled = list(session.scalars(select(HashBank).where(HashBank.enabled.is_(True))))
    if not enabled or not len(index.videos):
        return []
    max_distance = max(bank.pdq_threshold for bank in enabled)
    candidates = index.videos.candidates(frames, max_distance)
    banks = _banks(session, (index.video_bank.get(c.video_id) for c in candidates if c.video_id in index.video_bank))
    hits = []
    for candidate in candidates:
        bank = banks.get(index.video_bank.get(candidate.video_id))
        if bank is None or not bank.enabled:
            continue
        score = candidate.score(bank.pdq_threshold)
        if not score.passes(bank.vpdq_query_match_pct, bank.vpdq_compared_match_pct):
            continue
        distances = [d for _, _, d in candidate.pairs if d <= bank.pdq_threshold]
        hits.append(
            MediaHit(
                BankHit(candidate.video_id, "vpdq", bank.id, int(statistics.median(distances))),
                {"query_match_pct": score.query_match_pct, "compared_match_pct": score.compared_match_pct},
            )
        )
    return hits


def match_frames_against_images(session: Session, matcher: BankMatcher, frames: list[VpdqFrame]) -> list[MediaHit]:
    """Image (PDQ) entries that any good frame of the video matches: a known picture inside it."""
    best: dict[int, tuple[BankHit, float]] = {}
    for frame in frames:
        if not is_matchable(frame):
            continue
        for hit in find_matches(session, matcher, {"pdq": frame.pdq}):
            if hit.algorithm == "pdq" and (hit.entry_id not in best or hit.distance < best[hit.entry_id][0].distance):
                best[hit.entry_id] = (hit, frame.timestamp)
    return [MediaHit(hit, {"offset_s": timestamp}) for hit, timestamp in best.values()]


def match_music(
    index: MediaBankIndex, fingerprint: AudioFingerprint | None, *, max_ber: float, min_match_s: float
) -> list[tuple[MediaHit, Track, MusicMatch]]:
    if fingerprint is None or len(fingerprint.words) == 0:
        return []
    out = []
    for track in list(index.tracks.values()):
        found = match_any(fingerprint, list(track.phases), max_ber=max_ber, min_match_s=min_match_s)
        if found is not None:
            hit = BankHit(track.entry_id, "chromaprint", track.bank_id, int(round(found.bit_error_rate * 100)))
            out.append(
                (
                    MediaHit(
                        hit,
                        {
                            "matched_s": found.matched_s,
                            "offset_s": found.offset_s,
                            "bit_error_rate": found.bit_error_rate,
                        },
                    ),
                    track,
                    found,
                )
            )
    return out

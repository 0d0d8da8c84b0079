"""Video (vPDQ) and music (Chromaprint) entries of hash banks.

A video entry is a BankEntry with algorithm "vpdq" whose value is the SHA-256 of its
vPDQ text, with its frames in bank_video_frames. A music entry is a BankEntry with
algorithm "chromaprint" in a bank of kind "music", whose value is the SHA-256 of the
uploaded track, with the fingerprint, rights holder and licensed territories in
music_tracks. The uploaded files themselves are not kept.
"""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.video.chromaprint import FingerprintError, reference_phases
from classifiers.video.media import AudioCaps, VideoDecodeError
from classifiers.video.vpdq import VpdqFormatError, VpdqFrame, hash_frames, parse_text, to_text
from workbench import audit
from workbench.audit import Actor
from workbench.models import BankChangeOp, BankEntry, HashBank
from workbench.models.media import BankVideoFrame, MusicTrack
from workbench.services.banks.feed import record_change
from workbench.services.operations import capabilities
from workbench.services.validation import ValidationFailed

MAX_TITLE_CHARS = 255


def _new_entry(
    session: Session, bank: HashBank, algorithm: str, value: str, actor: Actor, note: str, source: str
) -> BankEntry | None:
    existing = session.scalar(
        select(BankEntry).where(
            BankEntry.bank_id == bank.id, BankEntry.algorithm == algorithm, BankEntry.value == value
        )
    )
    if existing is not None:
        return None
    entry = BankEntry(
        bank_id=bank.id,
        algorithm=algorithm,
        value=value,
        note=note[:2000],
        source=source[:255],
        added_by=str(actor.id)[:64],
    )
    session.add(entry)
    session.flush()
    return entry


def add_video_entry(
    session: Session, bank: HashBank, actor: Actor, *, frames: list[VpdqFrame], note: str = "", source: str = ""
) -> BankEntry | None:
    """Add a video by its vPDQ frames; None when the bank already holds the same frames."""
    if not frames:
        raise ValidationFailed("missing_field", "the video has no frames", "video")
    value = hashlib.sha256(to_text(frames).encode()).hexdigest()
    entry = _new_entry(session, bank, "vpdq", value, actor, note, source)
    if entry is None:
        return None
    session.add_all(
        BankVideoFrame(
            entry_id=entry.id, position=i, pdq=f.pdq, quality=f.quality, time_ms=int(round(f.timestamp * 1000))
        )
        for i, f in enumerate(frames)
    )
    audit.record(
        session,
        actor,
        "bank.entry_added",
        "hash_bank",
        bank.id,
        entry_id=entry.id,
        algorithm="vpdq",
        value=value,
        frames=len(frames),
    )
    record_change(session, bank.id, BankChangeOp.ENTRY_CHANGED, algorithm="vpdq", entry_lo=entry.id, entry_hi=entry.id)
    return entry


def video_frames_from_upload(data: bytes, frames_per_s: float = 1.0) -> list[VpdqFrame]:
    try:
        return hash_frames(data, frames_per_s)
    except VideoDecodeError as exc:
        raise ValidationFailed("corrupt_video", f"the video could not be decoded: {exc}"[:500], "video", 422) from exc


def video_frames_from_text(text: str) -> list[VpdqFrame]:
    try:
        return parse_text(text)
    except VpdqFormatError as exc:
        raise ValidationFailed("invalid_vpdq", str(exc), "vpdq", 422) from exc


def entry_frames(session: Session, entry_id: int) -> list[VpdqFrame]:
    rows = session.scalars(
        select(BankVideoFrame).where(BankVideoFrame.entry_id == entry_id).order_by(BankVideoFrame.position)
    )
    return [VpdqFrame(row.pdq, row.quality, row.time_ms / 1000.0) for row in rows]


def parse_territories(text: str) -> str:
    codes = sorted({code.strip().upper() for code in text.replace(",", " ").split() if code.strip()})
    bad = [code for code in codes if len(code) != 2 or not code.isalpha()]
    if bad:
        raise ValidationFailed("invalid_country", f"not ISO 3166 alpha-2 codes: {', '.join(bad)}", "territories")
    return " ".join(codes)


def add_music_entry(
    session: Session,
    bank: HashBank,
    actor: Actor,
    *,
    data: bytes,
    title: str,
    rights_holder: str,
    territories: str,
    note: str = "",
    source: str = "",
    caps: AudioCaps = AudioCaps(),
) -> BankEntry | None:
    """Fingerprint an uploaded track (audio or video file) into a music bank."""
    if bank.kind != "music":
        raise ValidationFailed("invalid_bank", "reference tracks go into a bank of kind 'music'", "bank")
    title, rights_holder = (title or "").strip(), (rights_holder or "").strip()
    if not title or not rights_holder:
        raise ValidationFailed("missing_field", "a track needs a title and a rights holder", "title")
    licensed = parse_territories(territories or "")
    if not capabilities.is_available("music_fingerprinting"):
        raise ValidationFailed(
            "fingerprinting_unavailable",
            "reference tracks cannot be fingerprinted on this host: "
            + capabilities.by_name("music_fingerprinting").missing_reason,
            "track",
            503,
        )
    try:
        phases = reference_phases(data, caps)  # a track longer than the cap: its first part
    except (VideoDecodeError, FingerprintError) as exc:
        raise ValidationFailed(
            "corrupt_audio", f"the track could not be fingerprinted: {exc}"[:500], "track", 422
        ) from exc
    if len(phases[0].words) < 16:
        raise ValidationFailed("track_too_short", "the track is too short to fingerprint", "track", 422)
    entry = _new_entry(session, bank, "chromaprint", hashlib.sha256(data).hexdigest(), actor, note, source)
    if entry is None:
        return None
    session.add(
        MusicTrack(
            entry_id=entry.id,
            title=title[:MAX_TITLE_CHARS],
            rights_holder=rights_holder[:255],
            licensed_territories=licensed,
            duration_s=phases[0].duration_s,
            fingerprint=b"".join(p.to_bytes() for p in phases),
            phase_lengths=",".join(str(len(p.words)) for p in phases),
        )
    )
    audit.record(
        session,
        actor,
        "bank.entry_added",
        "hash_bank",
        bank.id,
        entry_id=entry.id,
        algorithm="chromaprint",
        title=title[:MAX_TITLE_CHARS],
        rights_holder=rights_holder[:255],
        territories=licensed,
    )
    record_change(
        session, bank.id, BankChangeOp.ENTRY_CHANGED, algorithm="chromaprint", entry_lo=entry.id, entry_hi=entry.id
    )
    return entry

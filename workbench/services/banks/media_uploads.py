"""Video and music entries added by hand (the bank pages): uploaded files checked like API
uploads before anything is written (the container only: media_upload_queue.py hands them to a
worker, which decodes them), pasted vPDQ text checked line by line, a bank's vPDQ thresholds,
and the reference tracks of a music bank.

Each `add_*` commits the entry, its audit event and its change-feed row together, or
raises ValidationFailed having written nothing.
"""

from __future__ import annotations

import io
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import av
from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.video.media import AUDIO_ONLY_CONTAINERS, sniff_audio_type, sniff_video_type
from classifiers.video.vpdq import VpdqFormatError, parse_text
from workbench.audit import Actor
from workbench.models import BankEntry, HashBank
from workbench.models.media import MusicTrack
from workbench.services.banks import banks as bank_service
from workbench.services.banks import media_entries
from workbench.services.intake.videos import check_media_size, check_video, probe_limits
from workbench.services.validation import ValidationFailed
from workbench.settings import Settings

# A song is longer than a short video: the track limit is its own (declared duration, checked before decoding).
# What classifiers.video decodes audio from: the video containers and plain audio files.
_AUDIO_CONTAINERS = {"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"} | AUDIO_ONLY_CONTAINERS
_LINE_NUMBER = re.compile(r"^line (\d+): ")

# (minimum, maximum) of the vPDQ settings; a query share of 0 would match every video.
VPDQ_LIMITS: dict[str, tuple[float, float]] = {
    "pdq_threshold": (0, bank_service.THRESHOLD_LIMITS["pdq_threshold"]),
    "vpdq_quality": (0, 100),
    "vpdq_query_match_pct": (1, 100),
    "vpdq_compared_match_pct": (0, 100),
}
_INTEGER_SETTINGS = {"pdq_threshold", "vpdq_quality"}


@dataclass(frozen=True)
class TrackRow:
    entry: BankEntry
    track: MusicTrack


def is_music_bank(bank: HashBank) -> bool:
    return bank.kind == "music"


def check_video_bank(bank: HashBank) -> None:
    if is_music_bank(bank):
        raise ValidationFailed("invalid_bank", "a music bank holds reference tracks, not videos", "video")


def _commit_new(session: Session, entry: BankEntry | None) -> BankEntry | None:
    if entry is None:  # already in the bank: nothing was written
        session.rollback()
        return None
    session.commit()
    return entry


def parse_vpdq_lines(text: str):
    """vPDQ frames from pasted text; the error names the offending line and quotes its start."""
    try:
        return parse_text(text or "")
    except VpdqFormatError as exc:
        message = str(exc)
        found = _LINE_NUMBER.match(message)
        if found:
            number = int(found.group(1))
            line = (text or "").splitlines()[number - 1].strip()
            shown = line[:80] + ("…" if len(line) > 80 else "")
            message = f"line {number} ({shown!r}): {message[found.end() :]}; expected 'pdqhex,quality,timestamp'"
        elif message == "no frames":
            message = "no vPDQ lines: paste 'pdqhex,quality,timestamp' lines"
        raise ValidationFailed("invalid_vpdq", message, "vpdq", 422) from exc


def add_video_text(
    session: Session, bank: HashBank, actor: Actor, text: str, *, note: str = "", source: str = ""
) -> BankEntry | None:
    check_video_bank(bank)
    frames = parse_vpdq_lines(text)
    return _commit_new(
        session, media_entries.add_video_entry(session, bank, actor, frames=frames, note=note, source=source)
    )


def parse_vpdq_settings(data: Mapping[str, Any]) -> dict[str, Any]:
    """The vPDQ settings of a bank, each required and within VPDQ_LIMITS."""
    fields: dict[str, Any] = {}
    for name, (low, high) in VPDQ_LIMITS.items():
        value = data.get(name)
        if value is None or isinstance(value, bool) or not isinstance(value, (int, float)):
            raise ValidationFailed("invalid_type", f"'{name}' must be a number", name)
        if not math.isfinite(value) or not low <= value <= high:
            raise ValidationFailed("out_of_range", f"'{name}' must be between {low:g} and {high:g}", name)
        if name in _INTEGER_SETTINGS:
            if value != int(value):
                raise ValidationFailed("invalid_type", f"'{name}' must be a whole number", name)
            value = int(value)
        else:
            value = float(value)
        fields[name] = value
    return fields


def update_vpdq_settings(session: Session, bank: HashBank, data: Mapping[str, Any], actor: Actor) -> HashBank:
    """Validated, then saved like any bank edit (audit event and feed row in the same commit)."""
    check_video_bank(bank)
    return bank_service.update_bank(session, bank, parse_vpdq_settings(data), actor)


def check_track(data: bytes, settings: Settings) -> None:
    """A reference track: an audio file (MP3, WAV, FLAC, Ogg, M4A, WebM audio) or a video with a sound track."""
    check_media_size(data, settings, "track", "file")
    max_s = settings.max_track_s
    is_m4a = len(data) >= 12 and data[4:8] == b"ftyp" and data[8:11] == b"M4A"
    if sniff_video_type(data) is None and sniff_audio_type(data) is None and not is_m4a:
        raise ValidationFailed(
            "unsupported_media_type",
            "only MP3, WAV, FLAC, Ogg, M4A/MP4, MOV and WebM files are accepted (type read from the bytes)",
            "track",
            415,
        )
    try:
        container = av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError, EOFError, IndexError) as exc:
        raise ValidationFailed("corrupt_audio", f"the file could not be read: {exc}"[:500], "track", 422) from exc
    try:
        if container.format.name not in _AUDIO_CONTAINERS:
            raise ValidationFailed("unsupported_media_type", "unexpected container", "track", 415)
        if not container.streams.audio:
            raise ValidationFailed("no_audio", "the file has no audio track", "track", 422)
        has_video = bool(container.streams.video)
        declared = container.duration / av.time_base if container.duration is not None else None
    finally:
        container.close()
    if has_video:  # a video: the same checks as a video upload, with the track's error field
        try:  # no decoded-pixel budget: a track's worker decodes only its sound
            check_video(data, settings, probe_limits(settings, max_s=max_s, decode_budget=False))
        except ValidationFailed as exc:
            raise ValidationFailed(exc.code, exc.message, "track", exc.status) from exc
    elif declared is not None and declared > max_s:
        raise ValidationFailed("track_too_long", f"{declared:.0f} s exceeds the {max_s:g} s limit", "track", 413)


def check_track_fields(bank: HashBank, title: str, rights_holder: str, territories: str) -> str:
    """Cheap checks first: a bad territory must not cost reading the file. Returns the territories."""
    if not is_music_bank(bank):
        raise ValidationFailed("invalid_bank", "reference tracks go into a bank of kind 'music'", "track")
    licensed = media_entries.parse_territories(territories or "")
    if not (title or "").strip():
        raise ValidationFailed("missing_field", "a track needs a title", "title")
    if not (rights_holder or "").strip():
        raise ValidationFailed("missing_field", "a track needs a rights holder", "rights_holder")
    return licensed


def list_tracks(session: Session, bank: HashBank, limit: int = 200) -> list[TrackRow]:
    rows = session.execute(
        select(BankEntry, MusicTrack)
        .join(MusicTrack, MusicTrack.entry_id == BankEntry.id)
        .where(BankEntry.bank_id == bank.id)
        .order_by(BankEntry.id.desc())
        .limit(limit)
    )
    return [TrackRow(entry, track) for entry, track in rows]

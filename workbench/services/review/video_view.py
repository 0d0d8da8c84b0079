"""The frame strip of a video case: the frames NudeNet scored (spread evenly over the
video, classifiers.video.media.classification_frames), with the flagged ones marked."""
from __future__ import annotations

import io
import json
from dataclasses import dataclass

from PIL import Image

FLAG_LABELS = ("exposed", "explicit")
FLAG_AT = 0.5
SAFE_VIDEO_TYPES = frozenset({"video/mp4", "video/webm", "video/quicktime"})


@dataclass(frozen=True)
class StripFrame:
    number: int
    flagged: bool
    labels: tuple[str, ...]


def strip_for(item, signals, frame_count: int) -> list[StripFrame]:
    """One entry per classified frame; a frame is flagged when NudeNet's worst frame for a
    nudity label at or above FLAG_AT is that frame."""
    if item.kind != "video" or not item.blob_sha256:
        return []
    flagged: dict[int, list[str]] = {}
    for signal in signals:
        if signal.classifier == "nudenet" and signal.label in FLAG_LABELS and signal.score >= FLAG_AT:
            try:
                frame = int(json.loads(signal.detail or "{}").get("frame", -1))
            except (ValueError, TypeError, AttributeError):
                continue
            flagged.setdefault(frame, []).append(f"{signal.label} {signal.score:.2f}")
    return [StripFrame(n, n in flagged, tuple(flagged.get(n, ()))) for n in range(frame_count)]


def frame_jpeg(data: bytes, number: int, frame_count: int) -> bytes | None:
    """Frame `number` of the strip as a JPEG, or None when there is no such frame."""
    from classifiers.video.media import VideoDecodeError, classification_frames
    if not 0 <= number < frame_count:
        return None
    try:
        frames = classification_frames(data, frame_count)
    except VideoDecodeError:
        return None
    if number >= len(frames):
        return None
    buffer = io.BytesIO()
    Image.fromarray(frames[number].rgb).save(buffer, "JPEG", quality=80)
    return buffer.getvalue()

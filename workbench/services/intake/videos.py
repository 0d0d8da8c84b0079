"""Checking uploaded videos before anything is stored, as image_validation does for images.

The container type comes from the bytes (MP4, MOV, WebM). The request then only probes the
container (classifiers.video.probe: stream parameters, declared duration and frame count,
the packets' timestamps), stopping at the first thing over a limit, the pixels the workers
will decode (WORKBENCH_MAX_VIDEO_DECODED_PIXELS) among them: nothing is decoded in the web
request. Decoding happens in the pipeline's workers. Every refusal is a
ValidationFailed (a JSON 4xx with a code), raised before any row or blob is written.
"""

from __future__ import annotations

from dataclasses import dataclass

from classifiers.video.media import AudioCaps, VideoDecodeError, VideoLimitExceeded, sniff_video_type
from classifiers.video.probe import ProbeLimits, probe_container
from workbench.services.validation import ValidationFailed
from workbench.settings import Settings


@dataclass(frozen=True)
class CheckedVideo:
    mime: str
    width: int
    height: int
    frames: int
    duration_s: float
    has_audio: bool


def check_media_size(data: bytes, settings: Settings, field: str, noun: str) -> None:
    """Not empty, not over WORKBENCH_MAX_VIDEO_BYTES (videos and reference tracks alike)."""
    max_bytes = settings.max_video_bytes
    if not data:
        raise ValidationFailed("empty_file", f"the {noun} is empty", field, 400)
    if len(data) > max_bytes:
        raise ValidationFailed("file_too_large", f"the {noun} exceeds {max_bytes} bytes", field, 413)


def check_video(data: bytes, settings: Settings, limits: ProbeLimits | None = None) -> CheckedVideo:
    check_media_size(data, settings, "video", "video file")
    if sniff_video_type(data) is None:
        raise ValidationFailed(
            "unsupported_media_type",
            "only MP4, MOV and WebM videos are accepted (type read from the bytes)",
            "video",
            415,
        )
    try:
        info = probe_container(data, limits or probe_limits(settings))
    except VideoLimitExceeded as exc:
        raise ValidationFailed(exc.code, str(exc), "video", 413) from exc
    except VideoDecodeError as exc:
        raise ValidationFailed("corrupt_video", f"the video could not be decoded: {exc}"[:500], "video", 422) from exc
    return CheckedVideo(info.mime, info.width, info.height, info.frames, info.duration_s, info.has_audio)


def probe_limits(settings: Settings, *, max_s: float | None = None, decode_budget: bool = True) -> ProbeLimits:
    """The container limits; a reference track passes its own length cap and no decode budget."""
    max_s = settings.max_video_s if max_s is None else max_s
    max_frames = int(max_s * 240) + 1  # 240 frames per second is more than any camera records
    # Audio runs at ~50 packets a second; other streams (subtitles, data) need few.
    # What the workers will decode (picture size times frames); None: only the sound is decoded.
    budget = settings.max_video_decoded_pixels if decode_budget else None
    return ProbeLimits(
        max_pixels=settings.max_video_pixels,
        max_duration_s=max_s,
        max_frames=max_frames,
        max_packets=2 * max_frames + 1000,
        max_decoded_pixels=None if budget is None else int(budget),
    )


def audio_caps(settings: Settings) -> AudioCaps:
    """How much audio a worker decodes for a fingerprint (WORKBENCH_MAX_AUDIO_S, WORKBENCH_MAX_AUDIO_DECODED_BYTES)."""
    return AudioCaps(max_seconds=settings.max_audio_s, max_decoded_bytes=settings.max_audio_decoded_bytes)

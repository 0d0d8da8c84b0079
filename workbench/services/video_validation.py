"""Checking uploaded videos before anything is stored, as image_validation does for images.

The container type comes from the bytes (MP4, MOV, WebM); PyAV then decodes every frame
under the configured limits, which catches truncated and corrupt files. Every refusal is a
ValidationFailed (a JSON 4xx with a code), raised before any row or blob is written.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from classifiers.video.media import VideoDecodeError, VideoLimitExceeded, probe_video, sniff_video_type
from workbench.services.validation import ValidationFailed


@dataclass(frozen=True)
class CheckedVideo:
    mime: str
    width: int
    height: int
    frames: int
    duration_s: float
    has_audio: bool


def check_media_size(data: bytes, config: Mapping, field: str, noun: str) -> None:
    """Not empty, not over WORKBENCH_MAX_VIDEO_BYTES (videos and reference tracks alike)."""
    max_bytes = config["WORKBENCH_MAX_VIDEO_BYTES"]
    if not data:
        raise ValidationFailed("empty_file", f"the {noun} is empty", field, 400)
    if len(data) > max_bytes:
        raise ValidationFailed("file_too_large", f"the {noun} exceeds {max_bytes} bytes", field, 413)


def check_video(data: bytes, config: Mapping) -> CheckedVideo:
    check_media_size(data, config, "video", "video file")
    if sniff_video_type(data) is None:
        raise ValidationFailed("unsupported_media_type",
                               "only MP4, MOV and WebM videos are accepted (type read from the bytes)", "video", 415)
    max_s = config["WORKBENCH_MAX_VIDEO_SECONDS"]
    try:
        info = probe_video(data, max_pixels=config["WORKBENCH_MAX_VIDEO_PIXELS"], max_duration_s=max_s,
                           max_frames=int(max_s * 240) + 1)
    except VideoLimitExceeded as exc:
        raise ValidationFailed(exc.code, str(exc), "video", 413) from exc
    except VideoDecodeError as exc:
        raise ValidationFailed("corrupt_video", f"the video could not be decoded: {exc}"[:500], "video", 422) from exc
    return CheckedVideo(info.mime, info.width, info.height, info.frames, info.duration_s, info.has_audio)

"""What a web request may afford to learn about an uploaded video: the container's metadata and
its packets, read with PyAV's demuxer, nothing decoded.

Decoding a video costs its pixels times its frames; reading its packets costs about its size.
So the upload check reads the stream parameters (picture size, declared duration and frame
count), refuses what is over the limits before reading further, then walks the packets of every
stream (timestamps and sizes only), stopping at the first one past a limit. The pixels a worker
will decode (picture size times frames, declared or counted) have a budget of their own. A file that is cut
short shows up as packets ending well before the declared duration. Decoding (vPDQ frames,
NudeNet frames, the audio track) happens in the pipeline's workers, which also find damage
inside the compressed pictures.
"""

from __future__ import annotations

from dataclasses import dataclass

import av

from classifiers.video.media import (
    VideoDecodeError,
    VideoInfo,
    VideoLimitExceeded,
    _declared_duration_s,
    _open,
    sniff_video_type,
)

# Audio and other streams may end a little after the pictures (encoder padding).
_OTHER_STREAM_SLACK_S = 1.0


@dataclass(frozen=True)
class ProbeLimits:
    max_pixels: int | None = None
    max_duration_s: float | None = None
    max_frames: int | None = None  # video packets (one per frame)
    max_packets: int | None = None  # packets of every stream together
    max_decoded_pixels: int | None = None  # width x height x video frames: what decoding costs


def _packet_time(packet) -> float | None:
    stamp = packet.pts if packet.pts is not None else packet.dts
    if stamp is None or packet.time_base is None:
        return None
    return float(stamp * packet.time_base)


def _check_declared(container, stream, limits: ProbeLimits) -> float | None:
    width, height = stream.codec_context.width or 0, stream.codec_context.height or 0
    if width <= 0 or height <= 0:
        raise VideoDecodeError("the video track has no picture size")
    if limits.max_pixels is not None and width * height > limits.max_pixels:
        raise VideoLimitExceeded("video_too_large", f"{width}x{height} exceeds the {limits.max_pixels}-pixel limit")
    declared = _declared_duration_s(container, stream)
    longest = max(declared or 0.0, container.duration / av.time_base if container.duration else 0.0)
    if limits.max_duration_s is not None and longest > limits.max_duration_s:
        raise VideoLimitExceeded("video_too_long", f"{longest:.1f} s exceeds the {limits.max_duration_s:g} s limit")
    if limits.max_frames is not None and (stream.frames or 0) > limits.max_frames:
        raise VideoLimitExceeded("too_many_frames", f"{stream.frames} frames declared, over {limits.max_frames}")
    _check_decoded_pixels(width, height, stream.frames or 0, limits, "declared")
    return declared


def _check_decoded_pixels(width: int, height: int, frames: int, limits: ProbeLimits, how: str) -> None:
    budget = limits.max_decoded_pixels
    if budget is not None and width * height * frames > budget:
        raise VideoLimitExceeded(
            "video_too_large", f"{frames} frames {how} of {width}x{height} exceed the budget of {budget} decoded pixels"
        )


def probe_container(data: bytes, limits: ProbeLimits = ProbeLimits()) -> VideoInfo:
    """The video's parameters and frame count from its container and packets, checked against `limits`.

    Raises VideoLimitExceeded (with its code) at the first thing over a limit, and
    VideoDecodeError for a file the demuxer cannot read, without a video track or cut short."""
    mime = sniff_video_type(data)
    if mime is None:
        raise VideoDecodeError("not an MP4, MOV or WebM file")
    container = _open(data)
    try:
        if not container.streams.video:
            raise VideoDecodeError("the file has no video track")
        stream = container.streams.video[0]
        declared = _check_declared(container, stream, limits)
        width, height = stream.codec_context.width, stream.codec_context.height
        frames, packets, last_video = 0, 0, 0.0
        for packet in container.demux():
            if packet.size == 0 and packet.pts is None:
                continue  # the demuxer's end-of-stream marker
            packets += 1
            if limits.max_packets is not None and packets > limits.max_packets:
                raise VideoLimitExceeded("too_many_packets", f"more than {limits.max_packets} packets")
            at = _packet_time(packet)
            is_video = packet.stream.index == stream.index
            if is_video:
                frames += 1
                last_video = max(last_video, at or 0.0)
                if limits.max_frames is not None and frames > limits.max_frames:
                    raise VideoLimitExceeded("too_many_frames", f"more than {limits.max_frames} frames")
                _check_decoded_pixels(width, height, frames, limits, "counted")
            slack = 0.0 if is_video else _OTHER_STREAM_SLACK_S
            if limits.max_duration_s is not None and at is not None and at > limits.max_duration_s + slack:
                raise VideoLimitExceeded("video_too_long", f"longer than the {limits.max_duration_s:g} s limit")
        if frames == 0:
            raise VideoDecodeError("the video track has no frames")
        # A file cut short after its index still opens; its packets stop early.
        if declared and last_video + 1.0 < declared * 0.9:
            raise VideoDecodeError(f"the video stops at {last_video:.1f} s of a declared {declared:.1f} s (truncated)")
        duration = max(declared or 0.0, last_video)
        return VideoInfo(
            mime, width, height, frames, round(duration, 3), bool(container.streams.audio), stream.codec_context.name
        )
    except VideoDecodeError:
        raise
    except (av.FFmpegError, OSError, ValueError, EOFError, MemoryError, IndexError) as exc:
        raise VideoDecodeError(f"the container could not be read: {exc}") from exc
    finally:
        container.close()

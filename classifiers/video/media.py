"""Untrusted video bytes: the container type from the bytes, a full decode that catches
truncated and corrupt files, sampled frames and the audio track, all through PyAV.

FFmpeg reads from memory (io.BytesIO): nothing the uploader sent touches the disk here.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass

import av
import numpy as np

# Frames handed to PDQ and NudeNet are scaled to at most this side: both work on small
# pictures, and a 4K frame costs 30x the hashing time for the same hash.
SAMPLE_MAX_SIDE = 512
_CONTAINERS = {"mov,mp4,m4a,3gp,3g2,mj2", "matroska,webm"}
# Reference tracks for music banks often arrive as plain audio files.
AUDIO_ONLY_CONTAINERS = {"mp3", "wav", "flac", "ogg"}


class VideoDecodeError(ValueError):
    """The bytes are not a video FFmpeg can decode completely."""


@dataclass(frozen=True)
class VideoInfo:
    mime: str
    width: int
    height: int
    frames: int  # decoded video frames
    duration_s: float
    has_audio: bool
    video_codec: str


@dataclass(frozen=True)
class SampledFrame:
    index: int  # position among the sampled frames
    time_ms: int
    rgb: np.ndarray  # H x W x 3 uint8, at most SAMPLE_MAX_SIDE on its longer side


def sniff_video_type(data: bytes) -> str | None:
    """The MIME type of an MP4, MOV or WebM file from its first bytes, else None."""
    if len(data) >= 12 and data[4:8] == b"ftyp":
        brand = data[8:12]
        if brand == b"qt  ":
            return "video/quicktime"
        if brand.startswith((b"isom", b"iso", b"mp4", b"avc1", b"M4V", b"dash", b"mmp4", b"MSNV", b"3gp")):
            return "video/mp4"
        return None
    if len(data) >= 8 and data[4:8] in (b"moov", b"mdat", b"wide", b"free", b"skip") and data[:4] != b"\0\0\0\0":
        return "video/quicktime"  # old QuickTime files start with an atom, no ftyp
    if data.startswith(b"\x1a\x45\xdf\xa3") and b"webm" in data[:64]:
        return "video/webm"
    return None


def sniff_audio_type(data: bytes) -> str | None:
    """The MIME type of an MP3, WAV, FLAC or Ogg file from its first bytes, else None."""
    if data.startswith(b"ID3") or (len(data) >= 2 and data[0] == 0xFF and data[1] & 0xE0 == 0xE0):
        return "audio/mpeg"
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WAVE":
        return "audio/wav"
    if data.startswith(b"fLaC"):
        return "audio/flac"
    if data.startswith(b"OggS"):
        return "audio/ogg"
    return None


def _open(data: bytes, containers: set[str] = _CONTAINERS):
    try:
        container = av.open(io.BytesIO(data), mode="r", metadata_errors="ignore")
    except (av.FFmpegError, OSError, ValueError, EOFError, IndexError) as exc:
        raise VideoDecodeError(f"the container could not be read: {exc}") from exc
    if container.format.name not in containers:
        container.close()
        raise VideoDecodeError(f"unexpected container {container.format.name!r}")
    return container


def _declared_duration_s(container, stream) -> float | None:
    if stream.duration is not None and stream.time_base is not None:
        return float(stream.duration * stream.time_base)
    if container.duration is not None:
        return container.duration / av.time_base
    return None


def probe_video(
    data: bytes, *, max_pixels: int | None = None, max_duration_s: float | None = None, max_frames: int | None = None
) -> VideoInfo:
    """Decode every video frame (and demux the audio) to prove the file is whole.

    Costs pixels times frames: for workers and tools. A web request probes the container
    instead (classifiers.video.probe.probe_container).

    Raises VideoDecodeError for anything broken, and ValueError subclasses of it with
    `limit` set when a limit is exceeded before decoding (see VideoLimitExceeded)."""
    mime = sniff_video_type(data)
    if mime is None:
        raise VideoDecodeError("not an MP4, MOV or WebM file")
    container = _open(data)
    try:
        if not container.streams.video:
            raise VideoDecodeError("the file has no video track")
        stream = container.streams.video[0]
        width, height = stream.codec_context.width or 0, stream.codec_context.height or 0
        if width <= 0 or height <= 0:
            raise VideoDecodeError("the video track has no picture size")
        if max_pixels is not None and width * height > max_pixels:
            raise VideoLimitExceeded("video_too_large", f"{width}x{height} exceeds the {max_pixels}-pixel limit")
        declared = _declared_duration_s(container, stream)
        if max_duration_s is not None and declared is not None and declared > max_duration_s:
            raise VideoLimitExceeded("video_too_long", f"{declared:.1f} s exceeds the {max_duration_s:g} s limit")
        has_audio = bool(container.streams.audio)
        stream.thread_type = "AUTO"
        frames, last_time = 0, 0.0
        for frame in container.decode(stream):
            frames += 1
            if frame.time is not None:
                last_time = max(last_time, float(frame.time))
            if max_frames is not None and frames > max_frames:
                raise VideoLimitExceeded("too_many_frames", f"more than {max_frames} frames")
            if max_duration_s is not None and last_time > max_duration_s:
                raise VideoLimitExceeded("video_too_long", f"longer than the {max_duration_s:g} s limit")
        if frames == 0:
            raise VideoDecodeError("no video frame could be decoded")
        duration = max(declared or 0.0, last_time)
        # A file cut short after its index still opens; its frames stop early.
        if declared and last_time + 1.0 < declared * 0.9:
            raise VideoDecodeError(f"the video stops at {last_time:.1f} s of a declared {declared:.1f} s (truncated)")
        return VideoInfo(mime, width, height, frames, round(duration, 3), has_audio, stream.codec_context.name)
    except VideoDecodeError:
        raise
    except (av.FFmpegError, OSError, ValueError, EOFError, MemoryError, IndexError) as exc:
        raise VideoDecodeError(f"the video could not be decoded: {exc}") from exc
    finally:
        container.close()


class VideoLimitExceeded(VideoDecodeError):
    def __init__(self, code: str, message: str):
        super().__init__(message)
        self.code = code


def _scaled_size(width: int, height: int, max_side: int) -> tuple[int, int]:
    scale = min(1.0, max_side / max(width, height))
    return max(2, int(round(width * scale / 2)) * 2), max(2, int(round(height * scale / 2)) * 2)


def iter_frames_every(
    data: bytes, every_s: float, *, max_frames: int = 10_000, max_side: int = SAMPLE_MAX_SIDE
) -> Iterator[SampledFrame]:
    """One frame per `every_s` seconds (the first frame at or after each tick)."""
    if every_s <= 0:
        raise ValueError("every_s must be positive")
    container = _open(data)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        next_tick, index = 0.0, 0
        for frame in container.decode(stream):
            t = float(frame.time or 0.0)
            if t + 1e-6 < next_tick:
                continue
            w, h = _scaled_size(frame.width, frame.height, max_side)
            yield SampledFrame(index, int(round(t * 1000)), frame.to_ndarray(format="rgb24", width=w, height=h))
            index += 1
            if index >= max_frames:
                return
            while next_tick <= t + 1e-6:
                next_tick += every_s
    except (av.FFmpegError, OSError, ValueError, EOFError) as exc:
        raise VideoDecodeError(f"the video could not be decoded: {exc}") from exc
    finally:
        container.close()


def sample_times_ms(duration_s: float, count: int) -> list[int]:
    """`count` times spread evenly over the video (the middle of `count` equal parts)."""
    if duration_s <= 0 or count <= 0:
        return [0]
    return [int(1000 * duration_s * (i + 0.5) / count) for i in range(count)]


def frames_at(data: bytes, times_ms: list[int], *, max_side: int = SAMPLE_MAX_SIDE) -> list[SampledFrame]:
    """The first frame at or after each wanted time (one decode pass, in time order)."""
    wanted = sorted(set(times_ms))
    out: list[SampledFrame] = []
    if not wanted:
        return out
    container = _open(data)
    try:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        last = None
        for frame in container.decode(stream):
            t_ms = int(round(float(frame.time or 0.0) * 1000))
            last = frame
            while wanted and t_ms >= wanted[0]:
                w, h = _scaled_size(frame.width, frame.height, max_side)
                out.append(SampledFrame(len(out), wanted.pop(0), frame.to_ndarray(format="rgb24", width=w, height=h)))
            if not wanted:
                break
        for t_ms in wanted if last is not None else ():  # past the last frame: show the last one
            w, h = _scaled_size(last.width, last.height, max_side)
            out.append(SampledFrame(len(out), t_ms, last.to_ndarray(format="rgb24", width=w, height=h)))
    except (av.FFmpegError, OSError, ValueError, EOFError) as exc:
        raise VideoDecodeError(f"the video could not be decoded: {exc}") from exc
    finally:
        container.close()
    return out


@dataclass(frozen=True)
class AudioCaps:
    """How much of an audio track a worker decodes: the rest of a longer one is ignored."""

    max_seconds: float | None = None  # of audio kept, at the output rate
    max_decoded_bytes: int | None = None  # PCM decoded from the file (all channels, before resampling)


def decode_audio(data: bytes, sample_rate: int = 11025, caps: AudioCaps = AudioCaps()) -> np.ndarray | None:
    """The first audio track as mono int16 at `sample_rate`, or None when there is none.

    With caps, decoding stops once `max_seconds` of output or `max_decoded_bytes` of decoded
    PCM is reached: a long soundtrack yields its first part, never an unbounded array. The
    byte cap bounds the decoding work where a second of output costs far more than usual
    (many channels, a very high sample rate)."""
    container = _open(data, _CONTAINERS | AUDIO_ONLY_CONTAINERS)
    max_samples = int(caps.max_seconds * sample_rate) if caps.max_seconds is not None else None
    try:
        if not container.streams.audio:
            return None
        resampler = av.AudioResampler(format="s16", layout="mono", rate=sample_rate)
        chunks, kept, decoded_bytes = [], 0, 0
        for frame in container.decode(container.streams.audio[0]):
            decoded_bytes += frame.samples * len(frame.layout.channels) * frame.format.bytes
            for out in resampler.resample(frame):
                chunks.append(out.to_ndarray().reshape(-1))
                kept += chunks[-1].size
            if (max_samples is not None and kept >= max_samples) or (
                caps.max_decoded_bytes is not None and decoded_bytes >= caps.max_decoded_bytes
            ):
                break
        else:
            for out in resampler.resample(None):
                chunks.append(out.to_ndarray().reshape(-1))
        pcm = np.concatenate(chunks).astype(np.int16) if chunks else np.zeros(0, dtype=np.int16)
        return pcm[:max_samples] if max_samples is not None else pcm
    except (av.FFmpegError, OSError, ValueError, EOFError) as exc:
        raise VideoDecodeError(f"the audio could not be decoded: {exc}") from exc
    finally:
        container.close()


def declared_duration_s(data: bytes) -> float:
    """The duration the container declares (no decoding); 0.0 when it declares none."""
    container = _open(data)
    try:
        stream = container.streams.video[0] if container.streams.video else None
        return float(_declared_duration_s(container, stream) or 0.0) if stream is not None else 0.0
    finally:
        container.close()


def classification_frames(data: bytes, count: int) -> list[SampledFrame]:
    """`count` frames spread evenly over the video: what NudeNet scores and the case page shows."""
    return frames_at(data, sample_times_ms(declared_duration_s(data), max(1, count)))

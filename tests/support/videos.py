"""Videos that are fine as containers but costly or broken once decoded (PyAV, in memory)."""

from __future__ import annotations

import io
import os

import av
import numpy as np

from classifiers.video.synthetic import _encode, chord_track, video_frame


def garbled_pictures(data: bytes) -> bytes:
    """The same container, streams and timestamps, with every video packet replaced by random
    bytes of its size: a demuxer reads it whole, a decoder refuses the first picture."""
    out = io.BytesIO()
    with av.open(io.BytesIO(data)) as source, av.open(out, "w", format="mp4") as target:
        streams = {s.index: target.add_stream_from_template(s) for s in source.streams}
        for packet in source.demux():
            if packet.dts is None:
                continue
            stream = streams[packet.stream.index]
            if packet.stream.type == "video":
                noise = av.Packet(os.urandom(packet.size))
                noise.pts, noise.dts, noise.time_base = packet.pts, packet.dts, packet.time_base
                noise.is_keyframe = packet.is_keyframe
                packet = noise
            packet.stream = stream
            target.mux(packet)
    return out.getvalue()


def clip_with_audio(
    video_s: float, audio_s: float, *, fps: int = 8, container: str = "mp4", width: int = 64, height: int = 48
) -> bytes:
    """A clip whose sound track runs `audio_s` seconds under `video_s` seconds of pictures."""
    frames = (video_frame(4, i / fps, width, height) for i in range(int(video_s * fps)))
    codec = "libvpx" if container == "webm" else "libx264"
    return _encode(
        frames, chord_track(4, audio_s), fps=fps, width=width, height=height, container=container, codec=codec
    )


def high_rate_clip(frames: int, fps: int, container: str = "mp4") -> bytes:
    """`frames` tiny pictures at `fps` frames a second, without sound."""
    pictures = (video_frame(5, i / fps, 32, 32) for i in range(frames))
    codec = "libvpx" if container == "webm" else "libx264"
    return _encode(pictures, None, fps=fps, width=32, height=32, container=container, codec=codec)


def repeated_picture_clip(width: int, height: int, fps: int, frames: int, container: str = "mp4") -> bytes:
    """`frames` pictures of `width` x `height` in a small file: one encoded picture, then the same
    "nothing changed" packet again and again. The container declares every frame (MP4) or its
    packets count them (WebM); a decoder would produce them all, at full size."""
    codec = "libvpx" if container == "webm" else "libx264"
    grey = np.full((height, width, 3), 128, dtype=np.uint8)
    source = _encode(
        (grey for _ in range(8)), None, fps=fps, width=width, height=height, container=container, codec=codec
    )
    out = io.BytesIO()
    with av.open(io.BytesIO(source)) as original, av.open(out, "w", format=container) as target:
        stream = target.add_stream_from_template(original.streams.video[0])
        packets = [p for p in original.demux(original.streams.video[0]) if p.dts is not None]
        first, unchanged = packets[0], min(packets[1:], key=lambda p: p.size)  # the encoder settled
        step = packets[1].pts - first.pts
        for index in range(frames):
            packet = av.Packet(bytes(first if index == 0 else unchanged))
            packet.pts = packet.dts = index * step
            packet.time_base, packet.is_keyframe, packet.stream = first.time_base, index == 0, stream
            target.mux(packet)
    return out.getvalue()

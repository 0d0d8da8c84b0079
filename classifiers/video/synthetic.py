"""Short generated clips for tests, the benchmark and the demo: PyAV encodes a picture
that changes scene every second and a chord track; `transcode` makes the altered copies
(re-encoded, resized, trimmed, brighter, quieter, with a voice over the music) that a
matcher must still recognise.
"""

from __future__ import annotations

import io
from fractions import Fraction
from functools import lru_cache

import av
import numpy as np
from PIL import Image

from classifiers.video.media import decode_audio

AUDIO_RATE = 22050


@lru_cache(maxsize=64)
def _scene(seed: int, index: int, width: int, height: int) -> np.ndarray:
    """Noise in four octaves (a 1/f-like spectrum, as photographs have): PDQ hashes it stably."""
    rng = np.random.default_rng(seed * 100_003 + index)
    acc = np.zeros((height + 32, width + 32, 3))
    weights = [1 / 1.6**k for k in range(4)]
    for weight, (gy, gx) in zip(weights, [(3, 4), (6, 8), (12, 16), (24, 32)]):
        grid = rng.integers(0, 256, size=(gy, gx, 3), dtype=np.uint8)
        acc += weight * np.asarray(
            Image.fromarray(grid, "RGB").resize((width + 32, height + 32), Image.BICUBIC), dtype=np.float64
        )
    return (acc / sum(weights)).clip(0, 255).astype(np.uint8)


def video_frame(seed: int, t: float, width: int = 320, height: int = 240) -> np.ndarray:
    """The picture at time t: a new still shot every two seconds (a slideshow with cuts)."""
    return np.ascontiguousarray(_scene(seed, int(t // 2.0), width, height)[16 : 16 + height, 16 : 16 + width])


def chord_track(seed: int, duration_s: float, rate: int = AUDIO_RATE) -> np.ndarray:
    """A melody of three-note chords changing every half second, float32 in [-0.5, 0.5]."""
    rng = np.random.default_rng(seed + 7)
    n = int(duration_s * rate)
    out = np.zeros(n, dtype=np.float32)
    step = rate // 2
    t = np.arange(step) / rate
    envelope = np.exp(-3.0 * t).astype(np.float32)
    for start in range(0, n, step):
        notes = rng.choice(np.arange(45, 81), size=3, replace=False)
        chunk = np.zeros(step, dtype=np.float32)
        for note in notes:
            freq = 440.0 * 2 ** ((note - 69) / 12)
            chunk += np.sin(2 * np.pi * freq * t).astype(np.float32) + 0.3 * np.sin(4 * np.pi * freq * t)
        length = min(step, n - start)
        out[start : start + length] = (chunk * envelope / 4.0)[:length]
    return out


def voice_like(duration_s: float, rate: int = AUDIO_RATE, seed: int = 99) -> np.ndarray:
    """Speech-like sound: a gliding 110-220 Hz voice with harmonics, in syllables."""
    rng = np.random.default_rng(seed)
    n = int(duration_s * rate)
    t = np.arange(n) / rate
    pitch = 160 + 50 * np.sin(2 * np.pi * 0.7 * t) + 10 * rng.standard_normal(1)
    phase = 2 * np.pi * np.cumsum(pitch) / rate
    formant = 0.5 + 0.5 * np.sin(2 * np.pi * 1.3 * t)
    voice = sum((1.0 / k) * (formant if k % 2 else 1 - formant) * np.sin(k * phase) for k in range(1, 12))
    syllables = np.clip(np.sin(2 * np.pi * 3.5 * t), 0, None) ** 0.5
    voice = voice * syllables
    return (0.5 * voice / (np.abs(voice).max() or 1.0)).astype(np.float32)


def _encode(
    frames,
    audio: np.ndarray | None,
    *,
    fps: int,
    width: int,
    height: int,
    container: str,
    codec: str,
    audio_rate: int = AUDIO_RATE,
    bit_rate: int | None = None,
) -> bytes:
    buffer = io.BytesIO()
    audio_codec = "libopus" if container == "webm" else "aac"
    out_rate = 48000 if audio_codec == "libopus" else audio_rate
    with av.open(buffer, mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        if bit_rate:
            stream.bit_rate = bit_rate
        if codec == "libx264":
            stream.options = {"preset": "ultrafast"}
        elif codec.startswith("libvpx"):
            # "good", not "realtime": realtime trades quality for the wall clock, so a busy machine
            # would encode the same clip differently. One thread keeps the output identical too.
            stream.options = {"deadline": "good", "cpu-used": "8", "threads": "1"}
        astream = out.add_stream(audio_codec, rate=out_rate) if audio is not None else None
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if astream is not None:
            samples = np.clip(audio, -1, 1).astype(np.float32).reshape(1, -1)
            resampler = av.AudioResampler(format=astream.format.name, layout="mono", rate=out_rate)
            frame_size = astream.codec_context.frame_size or 1024
            pending = []
            source = av.AudioFrame.from_ndarray(samples, format="flt", layout="mono")
            source.sample_rate, source.pts, source.time_base = audio_rate, 0, Fraction(1, audio_rate)
            pending = resampler.resample(source) + resampler.resample(None)
            data = np.concatenate([f.to_ndarray().reshape(-1) for f in pending]) if pending else np.zeros(0)
            for start in range(0, len(data), frame_size):
                chunk = data[start : start + frame_size]
                if len(chunk) < frame_size:
                    chunk = np.pad(chunk, (0, frame_size - len(chunk)))
                frame = av.AudioFrame.from_ndarray(
                    chunk.reshape(1, -1).astype(data.dtype), format=astream.format.name, layout="mono"
                )
                frame.sample_rate, frame.pts, frame.time_base = out_rate, start, Fraction(1, out_rate)
                for packet in astream.encode(frame):
                    out.mux(packet)
            for packet in astream.encode():
                out.mux(packet)
    return buffer.getvalue()


def make_clip(
    seed: int,
    duration_s: float = 4.0,
    *,
    width: int = 320,
    height: int = 240,
    fps: int = 12,
    audio: bool = True,
    container: str = "mp4",
    codec: str | None = None,
    music_seed: int | None = None,
) -> bytes:
    """A clip whose pictures come from `seed` and whose music from `music_seed` (or `seed`)."""
    codec = codec or ("libvpx" if container == "webm" else "libx264")
    frames = (video_frame(seed, i / fps, width, height) for i in range(int(duration_s * fps)))
    track = chord_track(seed if music_seed is None else music_seed, duration_s) if audio else None
    return _encode(frames, track, fps=fps, width=width, height=height, container=container, codec=codec)


def transcode(
    data: bytes,
    *,
    container: str = "mp4",
    codec: str | None = None,
    size: tuple[int, int] | None = None,
    start_s: float = 0.0,
    end_s: float | None = None,
    brightness: int = 0,
    gain_db: float = 0.0,
    overlay_voice: bool = False,
    fps: int | None = None,
    bit_rate: int | None = None,
    drop_audio: bool = False,
) -> bytes:
    """Decode `data` and encode it again with the given changes."""
    codec = codec or ("libvpx" if container == "webm" else "libx264")
    with av.open(io.BytesIO(data)) as source:
        vstream = source.streams.video[0]
        in_fps = int(round(float(vstream.average_rate or 12)))
        frames = []
        for frame in source.decode(vstream):
            t = float(frame.time or 0.0)
            if t + 1e-6 < start_s or (end_s is not None and t >= end_s):
                continue
            rgb = frame.to_ndarray(format="rgb24")
            if size:
                rgb = np.asarray(Image.fromarray(rgb).resize(size, Image.BILINEAR))
            if brightness:
                rgb = np.clip(rgb.astype(np.int16) + brightness, 0, 255).astype(np.uint8)
            frames.append(rgb)
    audio = None
    if not drop_audio:
        pcm = decode_audio(data, AUDIO_RATE)
        if pcm is not None:
            audio = pcm.astype(np.float32) / 32768.0
            audio = audio[int(start_s * AUDIO_RATE) : (int(end_s * AUDIO_RATE) if end_s is not None else None)]
            audio = audio * (10 ** (gain_db / 20))
            if overlay_voice:
                audio = audio + voice_like(len(audio) / AUDIO_RATE)[: len(audio)]
    out_fps = fps or in_fps
    if fps and fps != in_fps:
        frames = [frames[int(i * in_fps / fps)] for i in range(int(len(frames) * fps / in_fps))]
    height, width = frames[0].shape[:2]
    return _encode(
        frames, audio, fps=out_fps, width=width, height=height, container=container, codec=codec, bit_rate=bit_rate
    )


_AUDIO_FILE_CODECS = {"wav": "pcm_s16le", "flac": "flac", "mp3": "libmp3lame", "ogg": "libopus"}


def audio_file(audio: np.ndarray, container: str, rate: int = AUDIO_RATE) -> bytes:
    """`audio` (float32 mono) as a plain audio file: wav, flac, mp3 or ogg (Opus)."""
    codec = _AUDIO_FILE_CODECS[container]
    out_rate = 48000 if codec == "libopus" else (44100 if codec == "libmp3lame" else rate)
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=container) as out:
        stream = out.add_stream(codec, rate=out_rate)
        stream.layout = "mono"
        source = av.AudioFrame.from_ndarray(
            np.clip(audio, -1, 1).astype(np.float32).reshape(1, -1), format="flt", layout="mono"
        )
        source.sample_rate, source.pts, source.time_base = rate, 0, Fraction(1, rate)
        resampler = av.AudioResampler(
            format=stream.format.name, layout="mono", rate=out_rate, frame_size=stream.codec_context.frame_size or None
        )
        for frame in resampler.resample(source) + resampler.resample(None):
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    return buffer.getvalue()

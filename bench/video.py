"""Benchmark video hashing, audio fingerprinting and vPDQ matching against 10,000 bank videos.

    .venv/bin/python bench/video.py                  # about a minute on 2 busy cores
    .venv/bin/python bench/video.py --videos 1000    # a quick check

In one run, on the same generated clips (PyAV-encoded, 320x240, 12 fps, with a chord track):

- decode_only_s_per_s: seconds of video per second of wall time, decoding every frame (the baseline)
- video_s_per_s:       the same, decoding + sampling 1 frame/s + PDQ (hash_frames)
- audio_s_per_s:       seconds of audio fingerprinted per second (PyAV decode + fpcalc -raw)
- match_ms_10k:        median time to match one clip's vPDQ against --videos bank videos
                       (VideoIndex: one exact HammingIndex over every bank frame)
- brute_ms_10k:        the same query answered by comparing with every bank frame (numpy XOR + popcount)

The last line is one JSON object with every figure.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import statistics
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

import av

from classifiers.video.chromaprint import fingerprint_media
from classifiers.video.synthetic import make_clip, transcode
from classifiers.video.video_index import VideoIndex
from classifiers.video.vpdq import VpdqFrame, hash_frames, matchable_hashes


def decode_only(data: bytes) -> None:
    with av.open(io.BytesIO(data)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for _ in container.decode(stream):
            pass


def throughput(clips: list[bytes], seconds: float, fn, repeat: int) -> float:
    started = time.perf_counter()
    for _ in range(repeat):
        for clip in clips:
            fn(clip)
    return seconds * repeat / (time.perf_counter() - started)


def random_video(rng: np.random.Generator, frames: int) -> list[VpdqFrame]:
    raw = rng.integers(0, 256, size=(frames, 32), dtype=np.uint8)
    return [VpdqFrame(row.tobytes().hex(), 90, float(i)) for i, row in enumerate(raw)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clips", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--videos", type=int, default=10_000)
    parser.add_argument("--frames-per-video", type=int, default=30)
    parser.add_argument("--queries", type=int, default=50)
    args = parser.parse_args()

    clips = [make_clip(seed, args.seconds) for seed in range(args.clips)]
    total_s = args.seconds * args.clips
    decode_rate = throughput(clips, total_s, decode_only, args.repeat)
    video_rate = throughput(clips, total_s, hash_frames, args.repeat)
    audio_rate = throughput(clips, total_s, fingerprint_media, args.repeat)
    decode_rate_again = throughput(clips, total_s, decode_only, args.repeat)  # noise check: same baseline twice
    print(
        f"decode only {decode_rate:.1f} / {decode_rate_again:.1f} s/s, vPDQ {video_rate:.1f} s/s, "
        f"audio {audio_rate:.1f} s/s",
        file=sys.stderr,
    )

    rng = np.random.default_rng(1)
    bank = [(video_id, random_video(rng, args.frames_per_video)) for video_id in range(1, args.videos + 1)]
    real = hash_frames(clips[0])
    bank[-1] = (args.videos, real)  # one real bank video, found by its altered copy
    started = time.perf_counter()
    index = VideoIndex()
    index.build(bank)
    build_s = time.perf_counter() - started
    query = hash_frames(transcode(clips[0], size=(240, 180), brightness=20, start_s=1.0))
    times, found = [], []
    for _ in range(args.queries):
        t0 = time.perf_counter()
        found = [c for c in index.candidates(query) if c.score().passes()]
        times.append(time.perf_counter() - t0)
    all_frames = np.frombuffer(
        b"".join(bytes.fromhex(h) for _, frames in bank for h in matchable_hashes(frames)), dtype=np.uint64
    ).reshape(-1, 4)
    brute_times = []
    for _ in range(max(3, args.queries // 10)):
        t0 = time.perf_counter()
        for value in matchable_hashes(query):
            q = np.frombuffer(bytes.fromhex(value), dtype=np.uint64)
            np.flatnonzero(np.bitwise_count(all_frames ^ q).sum(axis=1) <= 31)
        brute_times.append(time.perf_counter() - t0)
    figures = {
        "video_s_per_s": round(video_rate, 2),
        "decode_only_s_per_s": round(decode_rate, 2),
        "decode_only_again_s_per_s": round(decode_rate_again, 2),
        "hash_vs_decode": round(video_rate / decode_rate, 3),
        "audio_s_per_s": round(audio_rate, 2),
        "audio_vs_decode": round(audio_rate / decode_rate, 3),
        "match_ms_10k": round(1000 * statistics.median(times), 3),
        "brute_ms_10k": round(1000 * statistics.median(brute_times), 3),
        "bank_videos": args.videos,
        "bank_frames": int(all_frames.shape[0]),
        "index_build_s": round(build_s, 2),
        "found_the_copy": [c.video_id for c in found] == [args.videos],
        "clip_seconds": args.seconds,
        "clips": args.clips,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    main()

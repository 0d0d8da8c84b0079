"""The container probe the web request uses (nothing decoded, stops at the first limit passed)
and the caps on the audio a worker decodes."""

from __future__ import annotations

import pytest

from classifiers.video.media import AudioCaps, VideoDecodeError, VideoLimitExceeded, decode_audio, probe_video
from classifiers.video.probe import ProbeLimits, probe_container
from classifiers.video.synthetic import make_clip
from tests.support.videos import clip_with_audio, garbled_pictures, high_rate_clip


@pytest.fixture(scope="module")
def clip():
    return make_clip(6, 3.0, width=96, height=64, fps=8)


def test_the_probe_reads_the_container_and_counts_frames_from_packets(clip):
    info = probe_container(clip)
    assert (info.mime, info.width, info.height, info.has_audio) == ("video/mp4", 96, 64, True)
    assert info.frames == 24 == probe_video(clip).frames
    assert abs(info.duration_s - 3.0) < 0.1


def test_the_probe_does_not_decode_pictures(clip):
    garbled = garbled_pictures(clip)
    with pytest.raises(VideoDecodeError):
        probe_video(garbled)  # a decoder refuses the pictures...
    assert probe_container(garbled).frames == 24  # ...the probe never asks one


@pytest.mark.parametrize(
    "container,message",
    [
        ("mp4", "300 frames declared"),  # MP4 declares its frame count: refused before reading packets
        ("webm", "more than 120 frames"),  # WebM does not: refused at the first packet over the limit
    ],
)
def test_too_many_frames_stops_the_probe(container, message):
    data = high_rate_clip(300, 300, container)
    with pytest.raises(VideoLimitExceeded) as caught:
        probe_container(data, ProbeLimits(max_frames=120))
    assert caught.value.code == "too_many_frames" and message in str(caught.value)


def test_a_sound_track_longer_than_the_allowed_length_is_refused():
    data = clip_with_audio(video_s=1.0, audio_s=6.0)
    with pytest.raises(VideoLimitExceeded) as caught:
        probe_container(data, ProbeLimits(max_duration_s=3.0))
    assert caught.value.code == "video_too_long"
    assert probe_container(data, ProbeLimits(max_duration_s=7.0)).frames == 8


def test_too_many_packets_stops_the_probe(clip):
    with pytest.raises(VideoLimitExceeded) as caught:
        probe_container(clip, ProbeLimits(max_packets=20))
    assert caught.value.code == "too_many_packets"


def test_a_cut_short_file_is_refused(clip):
    for broken in (clip[: len(clip) // 2], clip[:40] + b"\0" * 4000, clip[:12]):
        with pytest.raises(VideoDecodeError):
            probe_container(broken)
    webm = make_clip(6, 6.0, width=96, height=64, fps=8, container="webm")
    with pytest.raises(VideoDecodeError, match="truncated"):
        probe_container(webm[: len(webm) // 3])


def test_decoded_audio_stops_at_the_seconds_cap():
    data = clip_with_audio(video_s=1.0, audio_s=8.0)
    whole = decode_audio(data, 11025)
    assert len(whole) >= 7.9 * 11025
    capped = decode_audio(data, 11025, AudioCaps(max_seconds=2.5))
    assert len(capped) == int(2.5 * 11025)
    assert (capped == whole[: len(capped)]).all()  # the first 2.5 s, not a resampled whole


def test_decoded_audio_stops_at_the_decoded_bytes_cap():
    data = clip_with_audio(video_s=1.0, audio_s=8.0)
    whole = decode_audio(data, 11025)
    # AAC decodes to 32-bit float samples: 1 s of the 22.05 kHz mono track is ~88 KB.
    capped = decode_audio(data, 11025, AudioCaps(max_decoded_bytes=88_200))
    assert 0 < len(capped) < 2 * 11025 < len(whole)

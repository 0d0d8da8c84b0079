"""vPDQ and Chromaprint on clips PyAV generates: altered copies match, distinct clips do not."""

from __future__ import annotations

import pytest

from classifiers.video.chromaprint import fingerprint_media, match_any, reference_phases
from classifiers.video.media import VideoDecodeError, probe_video, sniff_video_type
from classifiers.video.synthetic import make_clip, transcode
from classifiers.video.video_index import VideoIndex
from classifiers.video.vpdq import VpdqFormatError, hash_frames, match_pair, parse_text, to_text

CLIP_SECONDS, CLIP_FPS = 6, 8


@pytest.fixture(scope="module")
def clip():
    return make_clip(1, CLIP_SECONDS, audio=False, width=160, height=120, fps=CLIP_FPS)


@pytest.fixture(scope="module")
def clip_frames(clip):
    return hash_frames(clip)


@pytest.mark.parametrize(
    "change",
    [
        {"container": "webm"},  # re-encoded with another codec
        {"bit_rate": 60_000},  # re-encoded at a low bit rate
        {"size": (120, 90)},  # resized
        {"size": (320, 240), "container": "webm"},
        {"start_s": 2.5},  # trimmed
        {"brightness": 40},  # brighter
        {"brightness": -40, "start_s": 1.5, "end_s": 5.5},  # darker and trimmed at both ends
    ],
)
def test_altered_copies_match_by_the_vpdq_rule(clip, clip_frames, change):
    copy = hash_frames(transcode(clip, **change))
    assert match_pair(copy, clip_frames).passes()


def test_distinct_clips_do_not_match(clip_frames):
    for seed in (2, 3, 4):
        other = hash_frames(make_clip(seed, 6.0, audio=False, width=160, height=120, fps=8))
        score = match_pair(other, clip_frames)
        assert score.query_match_pct == 0.0 and not score.passes()


def test_the_index_finds_the_same_videos_as_brute_force(clip, clip_frames):
    index = VideoIndex()
    index.build(
        [(10 + seed, hash_frames(make_clip(seed, 4.0, audio=False, width=160, height=120, fps=8))) for seed in (2, 3)]
    )
    index.add(1, clip_frames)
    query = hash_frames(transcode(clip, size=(200, 150), start_s=2.0))
    found = index.candidates(query)
    assert [c.video_id for c in found] == [1]
    assert found[0].score().query_match_pct == match_pair(query, clip_frames).query_match_pct == 100.0
    assert index.remove(1) and index.candidates(query) == []


def test_vpdq_text_round_trips_and_rejects_bad_lines(clip_frames):
    text = to_text(clip_frames)
    assert text.splitlines()[0].count(",") == 2
    assert parse_text(text) == clip_frames
    for bad in ("abc,50,0.0", "f" * 64 + ",101,0", "f" * 64 + ",50", ""):
        with pytest.raises(VpdqFormatError):
            parse_text(bad)


def test_sniffing_and_probing(clip):
    assert sniff_video_type(clip) == "video/mp4"
    assert sniff_video_type(make_clip(2, 1.0, audio=False, container="webm")) == "video/webm"
    assert sniff_video_type(b"\x89PNG\r\n\x1a\n" + b"\0" * 20) is None
    info = probe_video(clip)
    assert (info.width, info.height, info.has_audio) == (160, 120, False)
    assert info.frames == CLIP_SECONDS * CLIP_FPS  # every encoded picture decoded
    assert round(info.duration_s * CLIP_FPS) == info.frames  # the container's length agrees with them
    for broken in (clip[: len(clip) // 2], clip[:40] + b"\0" * 4000, clip[:12]):
        with pytest.raises(VideoDecodeError):
            probe_video(broken)


@pytest.mark.slow
def test_music_survives_reencoding_volume_trim_and_voice():
    song = make_clip(5, 20.0, width=64, height=48)
    reference = reference_phases(song)
    copies = {
        "re-encoded": transcode(song, container="webm"),
        "-6 dB": transcode(song, gain_db=-6.0),
        "10 s trim": transcode(song, start_s=10.0),
        "voice over": transcode(song, overlay_voice=True),
    }
    for name, data in copies.items():
        found = match_any(fingerprint_media(data), reference)
        assert found is not None, name
        assert found.matched_s >= 5.0, (name, found)
        if name == "10 s trim":
            assert abs(found.offset_s - 10.0) < 0.6, found
    for seed in (6, 7):
        assert match_any(fingerprint_media(make_clip(seed, 12.0, width=64, height=48)), reference) is None


@pytest.mark.parametrize("container", ["wav", "flac", "mp3", "ogg"])
def test_reference_tracks_load_from_plain_audio_files(container):
    from classifiers.video.media import sniff_audio_type
    from classifiers.video.synthetic import audio_file, chord_track

    track = audio_file(chord_track(11, 12.0), container)
    assert sniff_audio_type(track) is not None and sniff_video_type(track) is None
    reference = reference_phases(track)
    found = match_any(fingerprint_media(make_clip(0, 12.0, width=32, height=32, fps=2, music_seed=11)), reference)
    assert found is not None and found.matched_s >= 5.0, (container, found)
    assert (
        match_any(fingerprint_media(make_clip(0, 12.0, width=32, height=32, fps=2, music_seed=12)), reference) is None
    )

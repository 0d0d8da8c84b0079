import numpy as np
import pytest
from PIL import Image, ImageDraw

from classifiers.base import ClassifierInput, sha256_files
from classifiers.image.frames import decode_frames, sample_indices
from classifiers.image.nudenet_classifier import EXPLICIT_LABEL, EXPOSED_LABEL, NudeNetClassifier, nudenet_class_names
from tests.support.images import encode

FRAME_MS = 100


@pytest.fixture(scope="module")
def nudenet():
    classifier = NudeNetClassifier(max_frames=5)
    classifier.load()
    return classifier


def _scene(seed):
    """A small synthetic picture: sky, ground, a few shapes. No people."""
    rng = np.random.default_rng(seed)
    image = Image.new("RGB", (320, 240), tuple(int(c) for c in rng.integers(0, 255, 3)))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 160, 320, 240), fill=(40, 120, 40))
    for _ in range(4):
        x, y = (int(v) for v in rng.integers(0, 280, 2))
        draw.ellipse((x, y % 200, x + 40, y % 200 + 40), fill=tuple(int(c) for c in rng.integers(0, 255, 3)))
    return image


def _gray_gif(levels, fmt="GIF"):
    """One flat gray frame per level, FRAME_MS each, so a frame is recognisable by its value."""
    frames = [Image.new("RGB", (64, 48), (level, level, level)) for level in levels]
    return encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=FRAME_MS, loop=0)


def _by_label(signals):
    return {s.label: s for s in signals}


def test_labels_ranges_and_checksum_on_images_without_nudity(nudenet):
    images = [encode(_scene(seed)) for seed in range(3)]
    images.append(encode(Image.new("RGB", (500, 300), (200, 180, 160)), "JPEG"))
    results = nudenet.classify_batch([ClassifierInput.for_image(str(i), data) for i, data in enumerate(images)])
    expected_labels = set(nudenet_class_names()) | {EXPOSED_LABEL, EXPLICIT_LABEL}
    assert len(nudenet_class_names()) == 18
    assert len(results) == len(images)
    for signals in results:
        assert [s.label for s in signals].count(EXPOSED_LABEL) == 1
        assert {s.label for s in signals} == expected_labels
        assert all(0.0 <= s.score <= 1.0 and not s.is_error for s in signals)
        assert _by_label(signals)[EXPOSED_LABEL].score < 0.5
    assert len(nudenet.model_checksum) == 64


def test_checksum_is_the_onnx_file_in_the_wheel(nudenet):
    import os

    import nudenet as package

    onnx = os.path.join(os.path.dirname(package.__file__), "320n.onnx")
    assert nudenet.model_checksum == sha256_files([onnx])


def test_batch_equals_one_by_one(nudenet):
    images = [encode(_scene(seed)) for seed in range(3)]
    batch = nudenet.classify_batch([ClassifierInput.for_image(str(i), d) for i, d in enumerate(images)])
    for data, signals in zip(images, batch):
        (alone,) = nudenet.classify_batch([ClassifierInput.for_image("x", data)])
        assert [s.score for s in alone] == pytest.approx([s.score for s in signals], abs=1e-4)


@pytest.mark.parametrize("mode", ["RGBA", "LA", "P", "L", "1", "CMYK", "I;16"])
def test_every_pixel_mode_is_decoded(nudenet, mode):
    image = _scene(7).convert(mode) if mode != "I;16" else Image.new("I;16", (100, 80), 3000)
    fmt = "JPEG" if mode == "CMYK" else "PNG"
    (signals,) = nudenet.classify_batch([ClassifierInput.for_image("m", encode(image, fmt))])
    assert not any(s.is_error for s in signals), signals


def test_corrupt_images_get_error_signals_and_the_others_score(nudenet):
    good = encode(_scene(1))
    truncated = good[: len(good) // 2]
    items = [
        ClassifierInput.for_image("good1", good),
        ClassifierInput.for_image("junk", b"not an image"),
        ClassifierInput.for_image("cut", truncated),
        ClassifierInput.for_image("empty", b""),
        ClassifierInput.for_image("good2", encode(_scene(2))),
    ]
    results = nudenet.classify_batch(items)
    assert [len(r) == 1 and r[0].is_error for r in results] == [False, True, True, True, False]
    assert not results[1][0].retryable
    (alone,) = nudenet.classify_batch([items[0]])
    assert [s.score for s in results[0]] == pytest.approx([s.score for s in alone], abs=1e-4)


def test_inference_failure_on_one_image_is_isolated(nudenet, monkeypatch):
    real = nudenet.detector.detect_batch

    def detect_batch(frames, batch_size=4):
        if any(frame[0, 0, 0] == 13 for frame in frames):
            raise RuntimeError("onnx runtime error")
        return real(frames, batch_size=batch_size)

    monkeypatch.setattr(nudenet.detector, "detect_batch", detect_batch)
    poison = encode(Image.new("RGB", (40, 40), (13, 13, 13)))
    results = nudenet.classify_batch(
        [ClassifierInput.for_image("a", encode(_scene(3))), ClassifierInput.for_image("b", poison)]
    )
    assert not any(s.is_error for s in results[0])
    assert results[1][0].is_error and results[1][0].retryable


def test_text_items_are_skipped(nudenet):
    assert nudenet.classify_batch([ClassifierInput.for_text("t", "hello")]) == [[]]


def test_sample_indices_are_evenly_spread():
    picked = sample_indices(20, 5)
    assert picked[0] == 0 and picked[-1] == 19 and len(picked) == 5
    gaps = np.diff(picked)
    assert gaps.max() - gaps.min() <= 1
    assert sample_indices(3, 5) == [0, 1, 2]
    assert sample_indices(10, 1) == [0]


@pytest.mark.parametrize("fmt", ["GIF", "WEBP"])
def test_animated_frames_are_sampled_with_their_times(fmt):
    levels = [i * 10 for i in range(20)]
    frames = decode_frames(_gray_gif(levels, fmt), max_frames=5)
    assert [f.index for f in frames] == sample_indices(20, 5)
    assert [f.time_ms for f in frames] == [f.index * FRAME_MS for f in frames]
    assert all(f.total_frames == 20 for f in frames)
    for frame in frames:  # each sampled frame is really that frame of the animation
        assert abs(int(frame.rgb[10, 10, 0]) - levels[frame.index]) <= 3


def test_animated_signal_keeps_the_best_frame(nudenet, monkeypatch):
    levels = [i * 10 for i in range(20)]
    sampled = sample_indices(20, 5)
    hot = sampled[2]
    seen = []

    def detect_batch(frames, batch_size=4):
        seen.append(len(frames))
        found = []
        for frame in frames:
            level = int(frame[10, 10, 0])
            if abs(level - levels[hot]) <= 3:
                found.append(
                    [
                        {"class": "FEMALE_BREAST_EXPOSED", "score": 0.9, "box": [0, 0, 5, 5]},
                        {"class": "FEET_EXPOSED", "score": 0.95, "box": [0, 0, 5, 5]},
                    ]
                )
            elif level == levels[sampled[-1]]:
                found.append([{"class": "FEMALE_BREAST_EXPOSED", "score": 0.4, "box": [0, 0, 5, 5]}])
            else:
                found.append([])
        return found

    monkeypatch.setattr(nudenet.detector, "detect_batch", detect_batch)
    (signals,) = nudenet.classify_batch([ClassifierInput.for_image("anim", _gray_gif(levels))])
    assert seen == [5]
    by_label = _by_label(signals)
    breast = by_label["FEMALE_BREAST_EXPOSED"]
    assert breast.score == pytest.approx(0.9)
    assert breast.detail["frame"] == hot and breast.detail["time_ms"] == hot * FRAME_MS
    assert breast.detail["frames_sampled"] == 5 and breast.detail["frames_total"] == 20
    assert by_label[EXPOSED_LABEL].score == pytest.approx(0.95)  # feet count as exposed
    assert by_label[EXPLICIT_LABEL].score == pytest.approx(0.9)  # but not as explicit
    assert by_label["FACE_FEMALE"].score == 0.0 and not by_label["FACE_FEMALE"].detail


def test_real_detector_runs_on_an_animation(nudenet):
    (signals,) = nudenet.classify_batch([ClassifierInput.for_image("gif", _gray_gif(range(0, 200, 10)))])
    assert len(signals) == 20
    assert all(0.0 <= s.score <= 1.0 and not s.is_error for s in signals)


def test_vectorised_postprocessing_gives_nudenets_own_detections():
    from nudenet.nudenet import _postprocess

    from classifiers.image.nudenet_detector import postprocess

    rng = np.random.default_rng(0)
    found = 0
    for _ in range(10):
        output = rng.random((1, 22, 2100), dtype=np.float32)
        output[0, :4] *= 320
        output[0, 4:] *= rng.random() * 0.5  # some candidates above NudeNet's 0.2 floor, some not
        width, height = (int(v) for v in rng.integers(100, 900, 2))
        x_pad, y_pad = max(width, height) - width, max(width, height) - height
        expected = _postprocess([output], x_pad, y_pad, 0, 0, width, height, 320, 320)
        assert postprocess(output, x_pad, y_pad, width, height, 320, 320) == expected
        found += len(expected)
    assert found > 0


def test_the_detector_matches_nudenets_on_real_images(nudenet):
    from nudenet import NudeDetector

    images = [encode(_scene(seed), "JPEG") for seed in range(4)]
    reference = NudeDetector(model_path=nudenet.detector.onnx_session._model_path)
    assert nudenet.detector.detect_batch(images, batch_size=3) == reference.detect_batch(images, batch_size=3)


def test_frames_the_caller_decoded_are_scored_without_decoding_again(nudenet):
    """The classify stage decodes a video's frames once (it keeps them as thumbnails too) and
    hands them over: the classifier scores those, the same as it would have decoded them."""
    from classifiers.video.synthetic import make_clip

    video = make_clip(3, 2.0, width=160, height=120, fps=8, audio=False)
    frames = decode_frames(video, nudenet.max_frames)
    decoding, handed = nudenet.classify_batch(
        [ClassifierInput.for_image("v", video), ClassifierInput.for_image("w", b"", frames=frames)]
    )
    assert handed == decoding and not any(s.is_error for s in handed)  # b"" alone would be an error

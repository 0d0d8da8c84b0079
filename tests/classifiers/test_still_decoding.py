"""Stills: OpenCV's decode where it is exact (the frame NudeNet itself would decode from
the bytes), Pillow's for everything else (rotation, alpha, a file cut short, animation)."""

import numpy as np
import pytest
from PIL import Image, ImageDraw, ImageFilter

from classifiers.image import frames as frames_module
from classifiers.image.frames import ImageDecodeError, decode_frames
from tests.support.images import encode


def _photo(width=320, height=240, seed=3):
    rng = np.random.default_rng(seed)
    noise = Image.fromarray(rng.integers(0, 255, (height, width, 3), dtype=np.uint8))
    image = noise.filter(ImageFilter.GaussianBlur(2))  # texture, as in a photo
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 0, width // 3, height // 2), fill=(250, 10, 10))  # red: top left
    return image


def _pillow_only(monkeypatch):
    monkeypatch.setattr(frames_module, "_opencv_still", lambda image, data: None)


@pytest.mark.parametrize("fmt,mode", [("JPEG", "RGB"), ("JPEG", "L"), ("PNG", "RGB"), ("PNG", "L")])
def test_opencv_and_pillow_decode_the_same_picture(monkeypatch, fmt, mode):
    data = encode(_photo().convert(mode), fmt)
    (fast,) = decode_frames(data)
    _pillow_only(monkeypatch)
    (slow,) = decode_frames(data)
    assert fast.bgr.shape == slow.bgr.shape == (240, 320, 3)
    assert fast.bgr.flags["C_CONTIGUOUS"]
    difference = np.abs(fast.bgr.astype(int) - slow.bgr.astype(int))
    assert difference.mean() < 1.0 and difference.max() <= (0 if fmt == "PNG" else 16)
    if mode == "RGB":  # channel order: the red block reads as red through .rgb, blue-last in .bgr
        assert tuple(int(v) for v in fast.rgb[10, 10]) == pytest.approx((250, 10, 10), abs=8)
        assert fast.bgr[10, 10, 2] > 200 and fast.bgr[10, 10, 0] < 40


def test_the_frame_is_what_nudenet_decodes_from_the_bytes():
    from classifiers.image.nudenet_classifier import NudeNetClassifier

    classifier = NudeNetClassifier()
    classifier.load()
    data = encode(_photo(640, 480, seed=5), "JPEG", quality=85)
    (frame,) = decode_frames(data)
    detector = classifier.detector
    assert detector.detect_batch([frame.bgr]) == detector.detect_batch([data])


def test_exif_rotation_is_applied():
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    (frame,) = decode_frames(encode(_photo(320, 240), "JPEG", exif=exif))
    assert frame.bgr.shape == (320, 240, 3)
    assert frame.rgb[10, -10, 0] > 200  # the red top-left block is now top right


def test_large_stills_are_shrunk_like_pillows_thumbnail(monkeypatch):
    data = encode(_photo(2000, 1000), "JPEG", quality=90)
    (fast,) = decode_frames(data)
    _pillow_only(monkeypatch)
    (slow,) = decode_frames(data)
    assert fast.bgr.shape == slow.bgr.shape == (640, 1280, 3)
    assert np.abs(fast.bgr.astype(int) - slow.bgr.astype(int)).mean() < 3


def test_a_file_cut_short_is_refused_not_filled_in():
    data = encode(_photo(), "JPEG", quality=90)
    with pytest.raises(ImageDecodeError):
        decode_frames(data[: len(data) // 2])
    png = encode(_photo(), "PNG")
    with pytest.raises(ImageDecodeError):
        decode_frames(png[:-200])


def test_alpha_is_still_flattened_onto_white():
    image = Image.new("RGBA", (40, 30), (0, 0, 0, 0))
    (frame,) = decode_frames(encode(image, "PNG"))
    assert frame.bgr.shape == (30, 40, 3) and frame.bgr.min() == 255

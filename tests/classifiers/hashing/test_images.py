"""Every Pillow mode must hash like the same picture in RGB."""

import io

import numpy as np
import pytest
from PIL import Image, ImageDraw

from classifiers.hashing.compute import hash_image
from classifiers.hashing.distance import hamming_distance
from classifiers.hashing.images import ImageDecodeError, load_rgb, to_rgb
from classifiers.hashing.pdq import pdq_from_image
from classifiers.hashing.perceptual import dhash_from_image, phash_from_image
from tests.support.images import encode

SIZE = (192, 160)


def picture() -> Image.Image:
    """A structured colour picture: gradient background, shapes, off-centre detail."""
    w, h = SIZE
    x = np.linspace(0, 1, w)[None, :]
    y = np.linspace(0, 1, h)[:, None]
    rgb = np.stack([200 * x + 30 * y, 180 * y * (1 - x) + 40, 120 + 100 * np.sin(6 * x) * y], axis=-1).astype(np.uint8)
    image = Image.fromarray(rgb)
    draw = ImageDraw.Draw(image)
    draw.ellipse((20, 20, 90, 100), fill=(250, 220, 30))
    draw.rectangle((110, 60, 175, 140), fill=(20, 40, 160))
    draw.polygon([(40, 150), (100, 110), (150, 155)], fill=(230, 60, 60))
    return image


def hashes_of(image: Image.Image) -> dict:
    return {"pdq": pdq_from_image(image).hash, "phash": phash_from_image(image), "dhash": dhash_from_image(image)}


def assert_same_hashes(image: Image.Image, expected_rgb: Image.Image) -> None:
    assert to_rgb(image).mode == "RGB"
    assert hashes_of(image) == hashes_of(expected_rgb)


def assert_near(a: dict, b: dict, pdq_max: int, small_max: int) -> None:
    assert hamming_distance(a["pdq"], b["pdq"]) <= pdq_max
    assert hamming_distance(a["phash"], b["phash"]) <= small_max
    assert hamming_distance(a["dhash"], b["dhash"]) <= small_max


def gray_picture() -> Image.Image:
    return picture().convert("L")


def test_rgb_bytes_decode_to_identical_pixels():
    original = picture()
    decoded = load_rgb(encode(original))
    assert decoded.mode == "RGB"
    assert np.array_equal(np.asarray(decoded), np.asarray(original))


def test_grayscale_L_hashes_like_its_rgb_expansion():
    gray = gray_picture()
    assert_same_hashes(gray, Image.merge("RGB", (gray, gray, gray)))


def test_grayscale_is_near_the_colour_original():
    assert_near(hashes_of(gray_picture()), hashes_of(picture()), pdq_max=20, small_max=6)


def test_sixteen_bit_modes_are_scaled_not_clipped():
    gray = gray_picture()
    wide = np.asarray(gray).astype(np.uint16) * 257  # 8-bit value v -> 16-bit v*257
    expected = Image.merge("RGB", (gray, gray, gray))
    little = Image.fromarray(wide)  # mode I;16
    assert little.mode == "I;16"
    big = Image.frombytes("I;16B", gray.size, wide.astype(">u2").tobytes())
    as_int32 = Image.fromarray(wide.astype(np.int32))  # mode I
    for image in (little, big, as_int32):
        assert np.array_equal(np.asarray(to_rgb(image)), np.asarray(expected)), image.mode
        assert_same_hashes(image, expected)


def test_sixteen_bit_png_bytes():
    gray = gray_picture()
    wide = Image.fromarray(np.asarray(gray).astype(np.uint16) * 257)
    result = hash_image(encode(wide))
    expected = hashes_of(Image.merge("RGB", (gray, gray, gray)))
    assert (result.pdq, result.phash, result.dhash) == (expected["pdq"], expected["phash"], expected["dhash"])


@pytest.mark.parametrize("scale", [1 / 255.0, 1.0])
def test_float_mode_in_unit_and_byte_ranges(scale):
    gray = gray_picture()
    floats = Image.fromarray(np.asarray(gray).astype(np.float32) * np.float32(scale))
    assert floats.mode == "F"
    assert_same_hashes(floats, Image.merge("RGB", (gray, gray, gray)))


def test_float_mode_with_arbitrary_range_is_stretched():
    gray = gray_picture()
    values = np.asarray(gray).astype(np.float32)
    floats = Image.fromarray(values * 1000.0 - 5000.0)
    rgb = np.asarray(to_rgb(floats))
    low, high = values.min(), values.max()
    expected = np.rint((values - low) * 255.0 / (high - low))
    assert np.abs(rgb[..., 0].astype(int) - expected).max() <= 1


def test_palette_is_near_rgb():
    original = picture()
    palette = original.quantize(colors=256)
    assert palette.mode == "P"
    assert_near(hashes_of(palette), hashes_of(original), pdq_max=16, small_max=4)


def transparent_picture(hidden=(0, 0, 0)) -> tuple[Image.Image, Image.Image]:
    """An RGBA picture with a fully transparent band whose hidden colour is `hidden`,
    and the RGB picture a viewer sees (the band white)."""
    rgba = picture().convert("RGBA")
    pixels = np.asarray(rgba).copy()
    pixels[:, 120:, :3] = hidden
    pixels[:, 120:, 3] = 0
    seen = pixels[..., :3].copy()
    seen[:, 120:] = 255
    return Image.fromarray(pixels), Image.fromarray(seen)


def test_rgba_transparent_area_is_white_not_its_hidden_colour():
    rgba, seen = transparent_picture(hidden=(0, 0, 0))
    assert_same_hashes(rgba, seen)
    # Guard: the hidden black would give a different picture.
    assert hashes_of(rgba.convert("RGB")) != hashes_of(seen)


def test_rgba_half_transparent_is_blended_on_white():
    rgba = Image.new("RGBA", (64, 64), (0, 0, 0, 128))
    assert np.asarray(to_rgb(rgba))[0, 0].tolist() in ([127, 127, 127], [128, 128, 128])


def test_la_mode_composited_on_white():
    gray = gray_picture()
    alpha = Image.new("L", gray.size, 255)
    ImageDraw.Draw(alpha).rectangle((0, 0, 60, 159), fill=0)
    la = Image.merge("LA", (gray, alpha))
    seen = np.asarray(gray).copy()
    seen[:, :61] = 255
    seen_img = Image.fromarray(seen)
    assert_same_hashes(la, Image.merge("RGB", (seen_img, seen_img, seen_img)))


def test_palette_with_transparency_bytes():
    rgba, seen = transparent_picture(hidden=(0, 0, 0))
    palette = rgba.convert("RGB").quantize(colors=200)
    # Make the colour of the hidden band the palette's transparent index.
    band_index = np.asarray(palette)[0, 150]
    palette.info["transparency"] = int(band_index)
    decoded = load_rgb(encode(palette, transparency=int(band_index)))
    assert np.asarray(decoded)[0, 150].tolist() == [255, 255, 255]
    assert_near(hashes_of(decoded), hashes_of(seen), pdq_max=16, small_max=4)


def test_cmyk_round_trip_hashes_like_rgb():
    original = picture()
    cmyk = original.convert("CMYK")
    assert_same_hashes(load_rgb(encode(cmyk, "TIFF")), original)


def test_cmyk_jpeg_is_near_rgb():
    original = picture()
    decoded = load_rgb(encode(original.convert("CMYK"), "JPEG", quality=95))
    assert_near(hashes_of(decoded), hashes_of(original), pdq_max=16, small_max=4)


def test_one_bit_image_hashes_like_black_and_white_rgb():
    bw = np.where(np.asarray(gray_picture()) > 120, 255, 0).astype(np.uint8)
    one_bit = Image.fromarray(bw).convert("1", dither=Image.Dither.NONE)
    assert one_bit.mode == "1"
    bw_image = Image.fromarray(bw)
    assert_same_hashes(load_rgb(encode(one_bit)), Image.merge("RGB", (bw_image,) * 3))


@pytest.mark.parametrize(
    "orientation, stored_transpose",
    [
        (3, Image.Transpose.ROTATE_180),
        (6, Image.Transpose.ROTATE_90),
        (8, Image.Transpose.ROTATE_270),
        (2, Image.Transpose.FLIP_LEFT_RIGHT),
    ],
)
def test_exif_orientation_is_applied(orientation, stored_transpose):
    original = picture()
    stored = original.transpose(stored_transpose)
    exif = Image.Exif()
    exif[0x0112] = orientation
    decoded = load_rgb(encode(stored, exif=exif))
    assert decoded.size == original.size
    assert_same_hashes(decoded, original)
    # Guard: ignoring the tag would not give the original's hash.
    assert hashes_of(stored)["pdq"] != hashes_of(original)["pdq"]


def test_animated_gif_uses_first_frame():
    first = picture().quantize(colors=128)
    second = picture().transpose(Image.Transpose.ROTATE_180).quantize(colors=128)
    animated = encode(first, "GIF", save_all=True, append_images=[second], duration=100, loop=0)
    assert Image.open(io.BytesIO(animated)).n_frames == 2
    still = encode(first, "GIF")
    assert hashes_of(load_rgb(animated)) == hashes_of(load_rgb(still))


@pytest.mark.parametrize("data", [b"", b"not an image", b"\x89PNG\r\n\x1a\n" + b"\0" * 40])
def test_garbage_raises_named_error(data):
    with pytest.raises(ImageDecodeError):
        load_rgb(data)


def test_truncated_image_raises_named_error():
    data = encode(picture(), "PNG")
    with pytest.raises(ImageDecodeError):
        load_rgb(data[: len(data) // 2])


def test_too_many_pixels_is_refused():
    with pytest.raises(ImageDecodeError, match="pixels"):
        load_rgb(encode(picture()), max_pixels=1000)

"""Decode untrusted image bytes into an 8-bit RGB Pillow image.

Perceptual hashes must see the picture a person sees. Pillow's plain
`convert("RGB")` gets several modes wrong for that purpose: 16-bit and 32-bit
grayscale are clipped to 0..255 (most pictures turn white), transparent pixels
keep whatever colour happens to sit under alpha 0, and EXIF orientation is
ignored. This module fixes each case explicitly.
"""

from __future__ import annotations

import io
import warnings

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

# Refuse pictures larger than this many pixels (decompression bombs).
MAX_PIXELS = 64_000_000

_WHITE = (255, 255, 255)
_ALPHA_MODES = {"RGBA", "RGBa", "LA", "La", "PA"}
_SIXTEEN_BIT_MODES = {"I;16", "I;16B", "I;16L", "I;16N"}


class ImageDecodeError(ValueError):
    """The bytes are not an image Pillow can decode safely."""


def load_rgb(data: bytes, max_pixels: int = MAX_PIXELS) -> Image.Image:
    """Decode `data` and return the first frame as an upright 8-bit RGB image."""
    if not data:
        raise ImageDecodeError("empty file")
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that; we refuse.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
            width, height = image.size
            if width <= 0 or height <= 0:
                raise ImageDecodeError("image has no pixels")
            if width * height > max_pixels:
                raise ImageDecodeError(f"image is {width}x{height}, more than {max_pixels} pixels")
            if getattr(image, "n_frames", 1) > 1:
                image.seek(0)  # animated GIF/PNG/WebP: hash the first frame
            image.load()
            image = ImageOps.exif_transpose(image)
            return to_rgb(image)
    except ImageDecodeError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageDecodeError(f"not a decodable image: {exc}") from exc
    except (OSError, ValueError, SyntaxError, EOFError, TypeError, IndexError) as exc:
        # Truncated or malformed files surface as any of these from the decoders.
        raise ImageDecodeError(f"corrupt image: {exc}") from exc


def to_rgb(image: Image.Image) -> Image.Image:
    """Convert an already-loaded image of any Pillow mode to 8-bit RGB."""
    mode = image.mode
    if mode == "RGB":
        return image
    if mode == "P":
        # Palette images may carry transparency in info or in the palette.
        if image.has_transparency_data:
            return _composite_on_white(image.convert("RGBA"))
        return image.convert("RGB")
    if mode in _ALPHA_MODES:
        return _composite_on_white(image.convert("RGBA"))
    if mode in _SIXTEEN_BIT_MODES or mode == "I":
        return _gray_array_to_rgb(_scale_integer(np.asarray(image), mode))
    if mode == "F":
        return _gray_array_to_rgb(_scale_float(np.asarray(image, dtype=np.float64)))
    # 1, L, CMYK, YCbCr, HSV, ...: Pillow's own conversion is correct for these.
    try:
        return image.convert("RGB")
    except (ValueError, OSError) as exc:
        raise ImageDecodeError(f"cannot convert image mode {mode} to RGB") from exc


def _composite_on_white(rgba: Image.Image) -> Image.Image:
    background = Image.new("RGBA", rgba.size, _WHITE + (255,))
    return Image.alpha_composite(background, rgba).convert("RGB")


def _scale_integer(values: np.ndarray, mode: str) -> np.ndarray:
    values = values.astype(np.float64)
    if mode in _SIXTEEN_BIT_MODES:
        return values / 257.0  # 65535 -> 255
    # Mode "I" (32-bit signed) mostly holds 16-bit samples (PNG, TIFF).
    low, high = float(values.min()), float(values.max())
    if low >= 0 and high <= 65535:
        return values / 257.0
    return _stretch(values, low, high)


def _scale_float(values: np.ndarray) -> np.ndarray:
    values = np.nan_to_num(values, nan=0.0, posinf=0.0, neginf=0.0)
    low, high = float(values.min()), float(values.max())
    if low >= 0 and high <= 1.0:
        return values * 255.0  # the usual 0..1 convention
    if low >= 0 and high <= 255.0:
        return values
    return _stretch(values, low, high)


def _stretch(values: np.ndarray, low: float, high: float) -> np.ndarray:
    if high <= low:
        return np.zeros_like(values)
    return (values - low) * (255.0 / (high - low))


def _gray_array_to_rgb(values: np.ndarray) -> Image.Image:
    gray = np.clip(np.rint(values), 0, 255).astype(np.uint8)
    return Image.fromarray(np.stack([gray, gray, gray], axis=-1))


def image_to_array(image: Image.Image) -> np.ndarray:
    """RGB image as a contiguous (height, width, 3) uint8 array."""
    return np.ascontiguousarray(np.asarray(to_rgb(image), dtype=np.uint8))

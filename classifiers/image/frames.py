"""Decode untrusted image bytes into a few frames for a detector.

Stills give one frame (EXIF rotation applied). Animated GIF/WebP/PNG give up to
`max_frames` frames evenly spaced over the animation, each with its index and start time,
so a score can say where in the animation it was found.

Frames are kept in OpenCV's BGR order, the order NudeNet takes. The common upload, a
complete single-frame RGB/grey JPEG or PNG with no rotation to apply, is decoded by OpenCV
straight into BGR, as NudeNet decodes image bytes itself: Pillow's decoder plus a channel
swap costs about as much again as the detector's own pre-processing. Pillow still reads
the header first (format, mode, frame count, EXIF, decompression-bomb check), and every
other image (alpha, palette, 16-bit, CMYK, animation, rotation, a file cut short) takes
Pillow's path.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

import cv2
import numpy as np
from PIL import Image, ImageOps

# Frames are scanned in order to know their start times; a hostile file with a huge
# frame count is sampled from its beginning only.
MAX_SCANNED_FRAMES = 2000
# The detector works at 320 px; decoding huge frames at full size only costs memory.
MAX_SIDE = 1280
# What OpenCV decodes exactly as Pillow would (no alpha to flatten, no palette, 8 bits).
_OPENCV_STILLS = {("JPEG", "RGB"), ("JPEG", "L"), ("PNG", "RGB"), ("PNG", "L")}
# A complete file ends with these (OpenCV fills a cut-off file with grey instead of failing).
_COMPLETE_ENDINGS = {"JPEG": b"\xff\xd9", "PNG": b"IEND\xaeB`\x82"}
_EXIF_ORIENTATION = 0x0112


class ImageDecodeError(ValueError):
    """The bytes are not an image Pillow can decode."""


@dataclass(frozen=True)
class Frame:
    index: int
    time_ms: int
    bgr: np.ndarray  # H x W x 3, uint8, OpenCV channel order, contiguous (NudeNet's input)
    total_frames: int

    @property
    def rgb(self) -> np.ndarray:
        return self.bgr[:, :, ::-1]


def _to_bgr(rgb: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(rgb[:, :, ::-1])


def sample_indices(total: int, max_frames: int) -> list[int]:
    """`max_frames` indices spread evenly over 0..total-1, first and last included."""
    if total <= 0:
        return []
    if total <= max_frames:
        return list(range(total))
    if max_frames == 1:
        return [0]
    step = (total - 1) / (max_frames - 1)
    return sorted({round(i * step) for i in range(max_frames)})


def to_rgb(image: Image.Image) -> Image.Image:
    """Any Pillow mode to RGB; transparency is flattened onto white, not black, so a
    transparent sticker does not turn into a dark blob."""
    if image.mode == "RGB":
        return image
    if image.mode in ("I;16", "I;16B", "I;16L", "I", "F"):
        array = np.asarray(image, dtype=np.float64)
        peak = array.max() or 1.0
        image = Image.fromarray((array * (255.0 / peak)).clip(0, 255).astype(np.uint8), "L")
    if image.mode == "P" or image.mode in ("LA", "PA", "La", "RGBa"):
        image = image.convert("RGBA")
    if image.mode == "RGBA":
        background = Image.new("RGB", image.size, (255, 255, 255))
        background.paste(image, mask=image.getchannel("A"))
        return background
    return image.convert("RGB")


def _prepare(image: Image.Image) -> np.ndarray:
    rgb = to_rgb(image)
    if max(rgb.size) > MAX_SIDE:
        rgb = rgb.copy()
        rgb.thumbnail((MAX_SIDE, MAX_SIDE))
    return _to_bgr(np.asarray(rgb, dtype=np.uint8))


def _opencv_still(image: Image.Image, data: bytes) -> np.ndarray | None:
    """The still decoded by OpenCV in BGR when it can do it exactly as Pillow would
    (see the module docstring); None sends it down Pillow's path."""
    fmt = image.format
    if (fmt, image.mode) not in _OPENCV_STILLS or getattr(image, "n_frames", 1) != 1:
        return None
    if not data.rstrip(b"\0\r\n ").endswith(_COMPLETE_ENDINGS[fmt]):
        return None
    if image.getexif().get(_EXIF_ORIENTATION, 1) != 1:
        return None
    bgr = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR | cv2.IMREAD_IGNORE_ORIENTATION)
    if bgr is None or bgr.shape[1::-1] != image.size:
        return None
    width, height = image.size
    if max(width, height) > MAX_SIDE:  # Pillow's thumbnail size, OpenCV's area filter
        scale = MAX_SIDE / max(width, height)
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        bgr = cv2.resize(bgr, size, interpolation=cv2.INTER_AREA)
    return bgr


def _video_frames(data: bytes, max_frames: int) -> list[Frame]:
    # PyAV (FFmpeg) loads only in a process that meets a video, not for every still image.
    from classifiers.video.media import VideoDecodeError, classification_frames

    try:
        sampled = classification_frames(data, max(1, max_frames))
    except VideoDecodeError as exc:
        raise ImageDecodeError(f"cannot decode video: {exc}") from exc
    return [Frame(f.index, f.time_ms, _to_bgr(f.rgb), len(sampled)) for f in sampled]


def decode_frames(data: bytes, max_frames: int = 8) -> list[Frame]:
    if not data:
        raise ImageDecodeError("empty image")
    from classifiers.video.media import sniff_video_type  # as above: PyAV only when needed

    if sniff_video_type(data):  # a video item: frames sampled evenly over its length
        return _video_frames(data, max_frames)
    try:
        image = Image.open(io.BytesIO(data))
        total = min(int(getattr(image, "n_frames", 1)), MAX_SCANNED_FRAMES)
        if total <= 1:
            fast = _opencv_still(image, data)
            if fast is not None:
                return [Frame(0, 0, fast, 1)]
            image = ImageOps.exif_transpose(image)
            return [Frame(0, 0, _prepare(image), 1)]
        wanted = set(sample_indices(total, max(1, max_frames)))
        frames: list[Frame] = []
        elapsed_ms = 0
        for index in range(max(wanted) + 1):
            image.seek(index)
            if index in wanted:
                frames.append(Frame(index, elapsed_ms, _prepare(image), total))
            elapsed_ms += int(image.info.get("duration") or 0)
        return frames
    except ImageDecodeError:
        raise
    except Image.UnidentifiedImageError as exc:
        raise ImageDecodeError("not an image format Pillow recognises") from exc
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, EOFError) as exc:
        raise ImageDecodeError(f"cannot decode image: {exc}") from exc

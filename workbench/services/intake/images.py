"""Checking uploaded images before anything is stored.

The type comes from the bytes, never from the file name or the client's Content-Type.
Before anything is decoded, the picture's size and, for an animation, its frame count and the
pixels of all its frames together are checked against their limits (animation_budget.py reads
them from the file's structure). Pillow then decodes every frame, which catches truncated and
corrupt files; the budget bounds what that decoding can cost.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

from PIL import Image, UnidentifiedImageError

from workbench.services.intake.animation_budget import AnimationLimits, AnimationOverBudget, count_frames_within_budget
from workbench.settings import Settings

# magic prefix -> (Pillow format, mime)
_SIGNATURES = (
    (b"\xff\xd8\xff", "JPEG", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "PNG", "image/png"),
    (b"GIF87a", "GIF", "image/gif"),
    (b"GIF89a", "GIF", "image/gif"),
)


class ImageRejected(ValueError):
    def __init__(self, code: str, message: str, status: int = 422, frames_inspected: int | None = None):
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status
        self.frames_inspected = frames_inspected  # set when an animation's budget stopped the check


@dataclass(frozen=True)
class CheckedImage:
    mime: str
    width: int
    height: int
    frames: int


def sniff_image_type(data: bytes) -> tuple[str, str] | None:
    """(Pillow format, mime) from the leading bytes, or None for anything else."""
    for magic, pil_format, mime in _SIGNATURES:
        if data.startswith(magic):
            return pil_format, mime
    if len(data) >= 12 and data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "WEBP", "image/webp"
    return None


def image_limits(settings: Settings) -> dict:
    """check_image's keyword arguments from the settings."""
    return {
        "max_bytes": settings.max_upload_bytes,
        "max_pixels": settings.max_image_pixels,
        "max_frames": settings.max_image_frames,
        "max_animation_pixels": settings.max_animation_pixels,
    }


def check_image(
    data: bytes, *, max_bytes: int, max_pixels: int, max_frames: int, max_animation_pixels: int
) -> CheckedImage:
    if not data:
        raise ImageRejected("empty_file", "the image file is empty", 400)
    if len(data) > max_bytes:
        raise ImageRejected("file_too_large", f"the image exceeds {max_bytes} bytes", 413)
    sniffed = sniff_image_type(data)
    if sniffed is None:
        raise ImageRejected(
            "unsupported_media_type", "only JPEG, PNG, GIF and WebP images are accepted (type read from the bytes)", 415
        )
    pil_format, mime = sniffed
    try:
        with warnings.catch_warnings():
            # Pillow only warns between its limit and twice it; make every bomb an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data), formats=[pil_format]) as image:
                width, height = image.size
                if width <= 0 or height <= 0:
                    raise ImageRejected("corrupt_image", "the image has no pixels")
                if width * height > max_pixels:
                    raise ImageRejected(
                        "image_too_large", f"{width}x{height} exceeds the {max_pixels}-pixel limit", 413
                    )
                # APNG and WebP declare their frame count; a GIF's frames are counted from its blocks.
                declared = getattr(image, "n_frames", 1) if pil_format != "GIF" else None
                frames = count_frames_within_budget(
                    data,
                    pil_format,
                    declared,
                    (width, height),
                    AnimationLimits(max_pixels, max_frames, max_animation_pixels),
                )
                for index in range(frames):  # decode everything: truncation shows up here
                    image.seek(index)
                    image.load()
    except ImageRejected:
        raise
    except AnimationOverBudget as exc:
        raise ImageRejected(exc.code, exc.message, 413, exc.frames_inspected) from exc
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise ImageRejected("image_too_large", f"decompression bomb refused: {exc}", 413) from exc
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected("corrupt_image", f"the image could not be decoded: {exc}") from exc
    return CheckedImage(mime=mime, width=width, height=height, frames=frames)

"""The cost of an animation, counted before any frame is decoded.

Pillow paints every frame of an animation onto the full canvas, so decoding costs about
canvas width x height per frame whatever the frame's own rectangle. A GIF of 120 frames of
3000x3000 compresses to under 1 MB yet decodes a billion pixels. The budget is checked from
the file's structure: for a GIF by walking its blocks (frame headers and the lengths of their
data, nothing decompressed), for APNG and WebP from the frame count the container declares
(Pillow never decodes more frames than that). The walk stops at the first frame over budget.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from dataclasses import dataclass

_GIF_TRAILER, _GIF_EXTENSION, _GIF_IMAGE = 0x3B, 0x21, 0x2C


class AnimationOverBudget(ValueError):
    def __init__(self, code: str, message: str, frames_inspected: int):
        super().__init__(message)
        self.code = code
        self.message = message
        self.frames_inspected = frames_inspected  # how far the check read before it stopped


@dataclass(frozen=True)
class AnimationLimits:
    max_frame_pixels: int  # the canvas of any one frame
    max_frames: int
    max_total_pixels: int  # canvas pixels summed over the frames


def _skip_sub_blocks(data: bytes, pos: int) -> int:
    """Past a chain of GIF data sub-blocks (length byte, bytes; a zero length ends it)."""
    while pos < len(data):
        size = data[pos]
        pos += 1 + size
        if size == 0:
            return pos
    return len(data)


def gif_frame_extents(data: bytes) -> Iterator[tuple[int, int]]:
    """The right and bottom edge of each frame of a GIF, read from the block structure alone.

    Follows Pillow's reader: extensions are skipped, a byte that starts no block is skipped
    too (so junk between frames cannot hide frames from this count), and the walk ends at the
    trailer or the end of the data."""
    if len(data) < 13:
        return
    pos = 13  # header (6) and logical screen descriptor (7)
    if data[10] & 0x80:
        pos += 3 << ((data[10] & 0x07) + 1)  # the global colour table
    while pos < len(data):
        block = data[pos]
        pos += 1
        if block == _GIF_TRAILER:
            return
        if block == _GIF_EXTENSION:
            pos = _skip_sub_blocks(data, pos + 1)  # after the extension's label
        elif block == _GIF_IMAGE:
            if pos + 9 > len(data):
                return
            left, top, width, height = struct.unpack_from("<4H", data, pos)
            flags = data[pos + 8]
            pos += 9
            if flags & 0x80:
                pos += 3 << ((flags & 0x07) + 1)  # a local colour table
            pos = _skip_sub_blocks(data, pos + 1)  # after the LZW minimum code size
            yield left + width, top + height


def _over(code: str, message: str, frames: int, inspected: int) -> AnimationOverBudget:
    return AnimationOverBudget(code, f"{message} (stopped reading at frame {frames})", inspected)


def count_frames_within_budget(
    data: bytes, pil_format: str, declared_frames: int | None, size: tuple[int, int], limits: AnimationLimits
) -> int:
    """The number of frames, the budget checked frame by frame (GIF) or from the declared count.

    A GIF frame may reach past the canvas; Pillow then grows the canvas, so this does too."""
    width, height = size
    if pil_format != "GIF":
        frames = max(1, declared_frames or 1)
        _check(frames, width * height, frames * width * height, limits, inspected=0)
        return frames
    frames, total = 0, 0
    for right, bottom in gif_frame_extents(data):
        frames += 1
        width, height = max(width, right), max(height, bottom)
        total += width * height
        _check(frames, width * height, total, limits, inspected=frames)
    return max(1, frames)


def _check(frames: int, canvas: int, total: int, limits: AnimationLimits, inspected: int) -> None:
    if canvas > limits.max_frame_pixels:
        raise _over(
            "image_too_large",
            f"a frame grows the picture to {canvas:,} pixels, over the {limits.max_frame_pixels:,}-pixel limit",
            frames,
            inspected,
        )
    if frames > limits.max_frames:
        raise _over("too_many_frames", f"more than {limits.max_frames} frames", frames, inspected)
    if total > limits.max_total_pixels:
        raise _over(
            "animation_too_large",
            f"the animation's frames add up to more than {limits.max_total_pixels:,} pixels",
            frames,
            inspected,
        )

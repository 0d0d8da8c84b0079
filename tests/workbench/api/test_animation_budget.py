"""Issue 16, finding 5 (images): an animation's frames together are held to a pixel and frame
budget, read from the file's structure before any frame is decoded."""

from __future__ import annotations

import io
import struct

import pytest
from PIL import Image
from sqlalchemy import select

from tests.support.images import encode
from tests.workbench.api.test_bad_input import assert_error, nothing_written
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import Blob
from workbench.services.intake.images import ImageRejected, check_image, image_limits

_blocks: dict[tuple[int, int], tuple[bytes, bytes]] = {}


def _frame_block(width: int, height: int) -> tuple[bytes, bytes]:
    """(global colour table, image block) of a one-colour frame, encoded once by Pillow."""
    if (width, height) not in _blocks:
        single = encode(Image.new("L", (width, height), 0), "GIF")
        table_end = 13 + (3 << ((single[10] & 7) + 1) if single[10] & 0x80 else 0)
        assert single[table_end] == 0x2C and single[-1] == 0x3B
        _blocks[width, height] = single[10:table_end], single[table_end:-1]
    return _blocks[width, height]


def animated_gif(canvas: tuple[int, int], frames: list[tuple[int, int, int, int]], junk: bytes = b"") -> bytes:
    """A GIF of one-colour frames (left, top, width, height) on `canvas`, `junk` before each frame
    after the first. Pillow's own writer takes minutes for 9-megapixel frames; this takes milliseconds,
    and the decoder sees exactly what an attacker would send."""
    table = _frame_block(*frames[0][2:])[0]
    out = bytearray(b"GIF89a" + struct.pack("<HH", *canvas) + table)
    out += b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"  # loop forever
    for index, (left, top, width, height) in enumerate(frames):
        block = bytearray(_frame_block(width, height)[1])
        block[1:5] = struct.pack("<HH", left, top)
        out += (junk if index else b"") + b"\x21\xf9\x04\x04\x04\x00\x00\x00" + block  # 40 ms, keep
    return bytes(out + b"\x3b")


DEFAULTS = image_limits(workbench_settings.defaults())  # the shipped limits


def _limits(**changes) -> dict:
    return {**DEFAULTS, **changes}


def test_a_gif_of_120_frames_of_3000x3000_is_refused_before_any_frame_is_decoded(app, api):
    bomb = animated_gif((3000, 3000), [(0, 0, 3000, 3000)] * 120)
    assert len(bomb) < 1024 * 1024  # what issue 16 sent: under 1 MB, a billion pixels decoded
    response = api.post_image(bomb, filename="laugh.gif", external_id="gif-bomb", author_id="u", country="DE")
    assert_error(response, 413, "animation_too_large")
    assert "stopped reading at frame 23" in response.json["error"]["message"]  # 23 x 9 M > 200 M
    assert nothing_written(app)
    with pytest.raises(ImageRejected) as caught:
        check_image(bomb, **_limits())
    assert caught.value.frames_inspected == 23 < 120


def test_junk_between_frames_hides_none_of_them():
    """Pillow skips bytes that start no block, so the count must too."""
    data = animated_gif((64, 64), [(0, 0, 64, 64)] * 30, junk=b"\x00\x7f")
    with Image.open(io.BytesIO(data)) as image:
        assert image.n_frames == 30
    checked = check_image(data, **_limits())
    assert checked.frames == 30
    with pytest.raises(ImageRejected) as caught:
        check_image(data, **_limits(max_animation_pixels=64 * 64 * 29))
    assert caught.value.code == "animation_too_large" and caught.value.frames_inspected == 30


def test_frames_reaching_past_a_tiny_canvas_count_at_the_size_they_grow_it_to():
    # The header says 8x8; Pillow grows the canvas to the frames' 1000x1000 and decodes that much per frame.
    data = animated_gif((8, 8), [(0, 0, 8, 8)] + [(0, 0, 1000, 1000)] * 20)
    with pytest.raises(ImageRejected) as caught:
        check_image(data, **_limits(max_animation_pixels=5_000_000))
    assert caught.value.code == "animation_too_large" and caught.value.frames_inspected == 6
    with pytest.raises(ImageRejected) as caught:
        check_image(data, **_limits(max_pixels=500_000))
    assert caught.value.code == "image_too_large" and caught.value.frames_inspected == 2


@pytest.mark.parametrize("fmt", ["PNG", "WEBP"])
def test_apng_and_webp_are_held_to_the_budget_from_their_declared_frame_count(app, api, fmt):
    frames = [Image.new("RGB", (80, 60), (i * 8, 0, 0)) for i in range(25)]
    data = encode(frames[0], fmt, save_all=True, append_images=frames[1:], duration=40)
    workbench_settings.update(app, WORKBENCH_MAX_ANIMATION_PIXELS=80 * 60 * 24)
    response = api.post_image(data, filename=f"a.{fmt.lower()}", external_id=f"anim-{fmt}", author_id="u", country="DE")
    assert_error(response, 413, "animation_too_large")
    assert nothing_written(app)
    workbench_settings.update(app, WORKBENCH_MAX_IMAGE_FRAMES=24)
    response = api.post_image(data, filename=f"a.{fmt.lower()}", external_id=f"anim-{fmt}", author_id="u", country="DE")
    assert_error(response, 413, "too_many_frames")
    workbench_settings.update(app, WORKBENCH_MAX_ANIMATION_PIXELS=80 * 60 * 25, WORKBENCH_MAX_IMAGE_FRAMES=25)
    accepted = api.post_image(data, filename=f"a.{fmt.lower()}", external_id=f"anim-{fmt}", author_id="u", country="DE")
    assert accepted.status_code == 201, accepted.json
    with app.app_context():
        assert db.session.scalar(select(Blob.frames)) == 25


def test_an_ordinary_animated_gif_is_accepted_whole(app, api):
    data = animated_gif((320, 240), [(0, 0, 320, 240)] * 40)
    response = api.post_image(data, filename="cat.gif", external_id="cat", author_id="u", country="DE")
    assert response.status_code == 201, response.json
    with app.app_context():
        assert db.session.scalar(select(Blob.frames)) == 40


def test_a_truncated_animation_is_still_refused_as_corrupt(app, api):
    data = animated_gif((320, 240), [(0, 0, 320, 240)] * 10)
    response = api.post_image(
        data[: len(data) - 300], filename="cut.gif", external_id="cut", author_id="u", country="DE"
    )
    assert_error(response, 422, "corrupt_image")
    assert nothing_written(app)

"""Thumbnails of a video item's classified frames, made by the worker that decodes them.

The classify stage decodes a video's sampled frames once (classifiers.image.frames.decode_frames:
WORKBENCH_NUDENET_MAX_FRAMES frames spread evenly over the video), hands them to NudeNet and
keeps a small JPEG of each (models/frame_thumbnail.py). The case page's strip serves those
stored JPEGs: decoding a video costs its pixels times its frames, which no web request pays.

Videos classified before the thumbnails existed get theirs from `flask pipeline
frame-thumbnails` (backfill below): a command, as it decodes.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image
from sqlalchemy import delete, exists, insert, select
from sqlalchemy.orm import Session

from classifiers.image.frames import Frame, ImageDecodeError, decode_frames
from workbench import audit
from workbench.models import Item
from workbench.models.base import utcnow
from workbench.models.frame_thumbnail import ItemFrameThumbnail
from workbench.services.blobstore import BlobNotFound
from workbench.settings import Settings

log = logging.getLogger(__name__)

# Enough to judge a frame in a strip of eight (the strip shows them 10 rem wide); a few KiB each.
THUMBNAIL_MAX_SIDE = 320
THUMBNAIL_QUALITY = 75
# Items whose classify stage has run (the stages after it included).
_CLASSIFIED_STAGES = ("classify", "policy", "route")


@dataclass(frozen=True)
class Thumbnail:
    number: int  # the frame's position among the classified frames (NudeNet's `frame` detail)
    time_ms: int
    jpeg: bytes


def frame_count(settings: Settings) -> int:
    """How many frames of a video are classified (and kept as thumbnails)."""
    return settings.nudenet_max_frames


def video_frames(data: bytes, count: int) -> list[Frame] | None:
    """The frames classified for a video, or None when they cannot be decoded (NudeNet, which
    then decodes the bytes itself, records why on the item)."""
    try:
        return decode_frames(data, max(1, count))
    except (ImageDecodeError, MemoryError) as exc:
        log.info("video frames not decodable: %s", exc)
        return None


def thumbnails_of(frames: Sequence[Frame]) -> list[Thumbnail]:
    """Each frame as a JPEG at most THUMBNAIL_MAX_SIDE pixels on its longer side."""
    out = []
    for frame in frames:
        picture = Image.fromarray(np.ascontiguousarray(frame.rgb))
        picture.thumbnail((THUMBNAIL_MAX_SIDE, THUMBNAIL_MAX_SIDE))
        buffer = io.BytesIO()
        picture.save(buffer, "JPEG", quality=THUMBNAIL_QUALITY)
        out.append(Thumbnail(frame.index, frame.time_ms, buffer.getvalue()))
    return out


def replace_thumbnails(session: Session, thumbnails: Mapping[int, Sequence[Thumbnail]]) -> int:
    """Each item's thumbnails become exactly these (a re-run of the stage replaces them).
    The caller holds the items' row locks and commits. Returns the rows written."""
    if not thumbnails:
        return 0
    session.execute(delete(ItemFrameThumbnail).where(ItemFrameThumbnail.item_id.in_(sorted(thumbnails))))
    now = utcnow()
    rows = [
        {"item_id": item_id, "number": one.number, "time_ms": one.time_ms, "jpeg": one.jpeg, "created_at": now}
        for item_id, item_thumbnails in sorted(thumbnails.items())
        for one in item_thumbnails
    ]
    if rows:  # Core executemany on the session's connection, as the signals are stored
        session.connection().execute(insert(ItemFrameThumbnail.__table__), rows)
    return len(rows)


# --- backfill -----------------------------------------------------------------------------


@dataclass
class BackfillReport:
    made: list[int] = field(default_factory=list)  # items that got thumbnails
    undecodable: list[int] = field(default_factory=list)  # the frames could not be decoded
    missing: list[int] = field(default_factory=list)  # the file is gone


def items_without_thumbnails(session: Session, after_id: int = 0, limit: int = 100) -> list[int]:
    """Classified video items that still have their content and no thumbnails, by id."""
    return list(
        session.scalars(
            select(Item.id)
            .where(
                Item.kind == "video",
                Item.blob_sha256.is_not(None),
                Item.erased_at.is_(None),
                Item.stage.in_(_CLASSIFIED_STAGES),
                Item.id > after_id,
                ~exists().where(ItemFrameThumbnail.item_id == Item.id),
            )
            .order_by(Item.id)
            .limit(limit)
        )
    )


def backfill(
    session: Session, blob_store, settings: Settings, actor: audit.Actor, *, limit: int | None = None
) -> BackfillReport:
    """Thumbnails for classified videos that have none, one item per transaction. The file is
    read and decoded with no transaction open; the item is then locked and checked again
    (an erasure meanwhile has removed its file: nothing is stored)."""
    report, after, count = BackfillReport(), 0, frame_count(settings)
    while limit is None or len(report.made) + len(report.undecodable) + len(report.missing) < limit:
        page = items_without_thumbnails(session, after, 100 if limit is None else min(100, limit))
        session.rollback()
        if not page:
            break
        for item_id in page:
            after = item_id
            sha256 = session.scalar(select(Item.blob_sha256).where(Item.id == item_id))
            session.rollback()
            try:
                frames = video_frames(blob_store.read(sha256), count) if sha256 else None
            except BlobNotFound:
                report.missing.append(item_id)
                continue
            if not frames:
                report.undecodable.append(item_id)
                continue
            thumbnails = thumbnails_of(frames)
            item = session.scalar(select(Item).where(Item.id == item_id).with_for_update())
            if item is None or item.blob_sha256 != sha256 or item.erased_at is not None:
                session.rollback()
                continue
            replace_thumbnails(session, {item_id: thumbnails})
            audit.record(session, actor, "item.frame_thumbnails_made", "item", item_id, frames=len(thumbnails))
            session.commit()
            report.made.append(item_id)
            if limit is not None and len(report.made) + len(report.undecodable) + len(report.missing) >= limit:
                break
    return report

"""The frame strip of a video case: the frames NudeNet scored (spread evenly over the
video), with the flagged ones marked. The classify worker stored a thumbnail of each
(pipeline/frame_thumbnails.py); the page serves those and never decodes the video."""

from __future__ import annotations

import json
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.models.frame_thumbnail import ItemFrameThumbnail

FLAG_LABELS = ("exposed", "explicit")
FLAG_AT = 0.5
SAFE_VIDEO_TYPES = frozenset({"video/mp4", "video/webm", "video/quicktime"})


@dataclass(frozen=True)
class StripFrame:
    number: int
    flagged: bool
    labels: tuple[str, ...]


def strip_for(item, signals, numbers: list[int]) -> list[StripFrame]:
    """One entry per stored frame thumbnail (none before the item is classified); a frame is
    flagged when NudeNet's worst frame for a nudity label at or above FLAG_AT is that frame."""
    if item.kind != "video" or not item.blob_sha256:
        return []
    flagged: dict[int, list[str]] = {}
    for signal in signals:
        if signal.classifier == "nudenet" and signal.label in FLAG_LABELS and signal.score >= FLAG_AT:
            try:
                frame = int(json.loads(signal.detail or "{}").get("frame", -1))
            except (ValueError, TypeError, AttributeError):
                continue
            flagged.setdefault(frame, []).append(f"{signal.label} {signal.score:.2f}")
    return [StripFrame(n, n in flagged, tuple(flagged.get(n, ()))) for n in numbers]


def stored_frame_numbers(session: Session, item_id: int) -> list[int]:
    """The frames of the strip: those the classify worker kept a thumbnail of."""
    return list(
        session.scalars(
            select(ItemFrameThumbnail.number)
            .where(ItemFrameThumbnail.item_id == item_id)
            .order_by(ItemFrameThumbnail.number)
        )
    )

"""How each moderator wants media shown, per content class.

Defaults protect: images and videos blurred and in grayscale until revealed, videos muted.
A moderator may relax them per class (say, no grayscale for "other"); the case page reads
the result through `media_prefs` and the `sensitive_media` macro (docs/wellness.md).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import CONTENT_CLASSES, WellnessPreference
from workbench.models.base import utcnow

SETTINGS = ("blur", "grayscale", "mute")


@dataclass(frozen=True)
class MediaPrefs:
    blur: bool = True
    grayscale: bool = True
    mute: bool = True


DEFAULT_PREFS = MediaPrefs()


def content_class_or_other(content_class: str | None) -> str:
    return content_class if content_class in CONTENT_CLASSES else "other"


def preferences(session: Session, user_id: int) -> dict[str, MediaPrefs]:
    """Every content class, in CONTENT_CLASSES order, with the defaults filled in."""
    stored = {
        row.content_class: MediaPrefs(row.blur, row.grayscale, row.mute)
        for row in session.scalars(select(WellnessPreference).where(WellnessPreference.user_id == user_id))
    }
    return {name: stored.get(name, DEFAULT_PREFS) for name in CONTENT_CLASSES}


def media_prefs(session: Session, user_id: int | None, content_class: str | None) -> MediaPrefs:
    if user_id is None:
        return DEFAULT_PREFS
    return preferences(session, user_id)[content_class_or_other(content_class)]


def save_preferences(session: Session, user_id: int, chosen: dict[str, MediaPrefs], actor: Actor) -> list[str]:
    """Store the classes that changed; returns their names."""
    rows = {
        row.content_class: row
        for row in session.scalars(select(WellnessPreference).where(WellnessPreference.user_id == user_id))
    }
    current = preferences(session, user_id)
    changed = []
    for name in CONTENT_CLASSES:
        new = chosen.get(name, current[name])
        if new == current[name]:
            continue
        row = rows.get(name) or WellnessPreference(user_id=user_id, content_class=name)
        row.blur, row.grayscale, row.mute = new.blur, new.grayscale, new.mute
        row.updated_at = utcnow()
        session.add(row)
        changed.append(name)
        audit.record(session, actor, "wellness.preferences_changed", "user", user_id, content_class=name, **asdict(new))
    session.commit()
    return changed

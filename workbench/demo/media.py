"""Demo video and music for `make run`: a music bank with one reference track, and a short
generated video whose soundtrack is that track (so the item shows a music match, the
frame strip and the frame classification)."""

from __future__ import annotations

import requests
from sqlalchemy import select

from classifiers.video.synthetic import make_clip
from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import HashBank
from workbench.services.banks.media_entries import add_music_entry
from workbench.services.operations import capabilities

DEMO_MUSIC_BANK = "demo-music"
_ACTOR = Actor.system("demo")
_MUSIC_SEED = 31


def ensure_demo_music() -> str | None:
    """The music bank and its one track, created once (idempotent). Without the fingerprinting
    tool there is nothing to add: returns the warning to show instead."""
    if not capabilities.is_available("music_fingerprinting"):
        return f"demo music bank skipped: {capabilities.by_name('music_fingerprinting').missing_reason}"
    bank = db.session.scalar(select(HashBank).where(HashBank.name == DEMO_MUSIC_BANK))
    if bank is None:
        bank = HashBank(
            name=DEMO_MUSIC_BANK, kind="music", description="Demo: a reference track licensed in FR and US only."
        )
        db.session.add(bank)
        db.session.flush()
    track = make_clip(0, 16.0, width=64, height=48, fps=4, music_seed=_MUSIC_SEED)
    add_music_entry(
        db.session,
        bank,
        _ACTOR,
        data=track,
        title="Demo Chords",
        rights_holder="Demo Records",
        territories="FR US",
        note="generated for the demo",
    )
    db.session.commit()
    return None


def push_demo_video(base_url: str, key: str) -> str:
    video = make_clip(41, 12.0, width=320, height=240, fps=12, music_seed=_MUSIC_SEED)
    response = requests.post(
        f"{base_url}/api/v1/items",
        headers={"Authorization": f"Bearer {key}"},
        timeout=60,
        data={
            "external_id": "demo-video-1",
            "author_id": "demo-user-video",
            "country": "DE",
            "text": "my holiday clip",
        },
        files={"video": ("demo-video-1.mp4", video, "video/mp4")},
    )
    response.raise_for_status()
    return response.json()["url"]

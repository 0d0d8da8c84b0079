"""The video part of the hash stage: vPDQ frames (stored per item), the audio fingerprint,
and the matches against video, image and music entries, with their signals.

Signals (classifier "vpdq" / "music", stored like classifier signals so policies use them):
  vpdq_match        best share of the video's frames found in a bank video (0..1)
  music_match       1.0 when a reference track plays in the video (detail: track, seconds)
  music_unlicensed  1.0 when a matched track is not licensed in the item's country
Idempotent: a rerun replaces the item's frames, match details and these signals.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import delete
from sqlalchemy.orm import Session

from classifiers.base import Signal
from classifiers.video.chromaprint import FingerprintError, fingerprint_media
from classifiers.video.media import VideoDecodeError
from classifiers.video.vpdq import hash_frames
from workbench.models import Item
from workbench.models.media import ItemVideoFrame, MediaMatchDetail
from workbench.pipeline.signal_store import store_signals
from workbench.pipeline.stages import StageContext
from workbench.services.banks.access import keep_matches_for_client
from workbench.services.banks.matching import BankHit
from workbench.services.banks.media_matching import (
    match_frames_against_images,
    match_music,
    match_video_entries,
    media_index_for,
)
from workbench.services.banks.runtime import matcher_for
from workbench.services.intake.videos import audio_caps
from workbench.services.operations import capabilities

log = logging.getLogger(__name__)
IDENTITIES = {
    "vpdq": {"version": "vpdq-1", "model_checksum": None},
    "music": {"version": "chromaprint-raw-1", "model_checksum": None},
}


def _store_frames(session: Session, item: Item, frames) -> None:
    session.execute(delete(ItemVideoFrame).where(ItemVideoFrame.item_id == item.id))
    session.add_all(
        ItemVideoFrame(
            item_id=item.id, position=i, time_ms=int(round(f.timestamp * 1000)), pdq=f.pdq, quality=f.quality
        )
        for i, f in enumerate(frames)
    )


def run_video_hashing(session: Session, item: Item, ctx: StageContext, summary: dict) -> list[BankHit]:
    data = ctx.blob_store.read(item.blob_sha256)
    settings = ctx.settings
    try:
        frames = hash_frames(data, settings.vpdq_frames_per_s)
    except VideoDecodeError as exc:  # validated at upload, so rare; exact matching still runs
        log.warning("item %s: video hashing failed: %s", item.id, exc)
        summary["perceptual_error"] = str(exc)[:200]
        frames = []
    _store_frames(session, item, frames)
    fingerprint = None
    unavailable = None if capabilities.is_available("music_fingerprinting") else "fpcalc is not installed"
    if unavailable:  # the worker said so once at start; the item records it and goes on
        summary["audio_error"] = unavailable
    else:
        try:
            caps = audio_caps(settings)
            fingerprint = fingerprint_media(data, caps)  # a long soundtrack: its first WORKBENCH_MAX_AUDIO_S
            if fingerprint is not None:
                summary["audio_seconds"] = fingerprint.duration_s
                summary["audio_capped"] = fingerprint.duration_s >= caps.max_seconds - 0.001
        except (FingerprintError, VideoDecodeError) as exc:
            log.warning("item %s: audio fingerprint failed: %s", item.id, exc)
            summary["audio_error"] = str(exc)[:200]
    index = media_index_for(current_app)
    index.ensure_fresh(session)
    found = match_video_entries(session, index, frames) + match_frames_against_images(
        session, matcher_for(current_app, settings.bank_feed_poll_s), frames
    )
    music = match_music(index, fingerprint, max_ber=settings.music_max_ber, min_match_s=settings.music_min_match_s)
    # Another platform's bank never acts here: not in the details and signals either.
    found = keep_matches_for_client(session, item.client_id, found, lambda media_hit: media_hit.hit.bank_id)
    music = keep_matches_for_client(session, item.client_id, music, lambda entry: entry[0].hit.bank_id)
    session.execute(delete(MediaMatchDetail).where(MediaMatchDetail.item_id == item.id))
    for media_hit in found + [m for m, _, _ in music]:
        detail = media_hit.detail
        session.add(
            MediaMatchDetail(
                item_id=item.id,
                entry_id=media_hit.hit.entry_id,
                algorithm=media_hit.hit.algorithm,
                query_match_pct=detail.get("query_match_pct"),
                compared_match_pct=detail.get("compared_match_pct"),
                matched_s=detail.get("matched_s"),
                offset_s=detail.get("offset_s"),
                bit_error_rate=detail.get("bit_error_rate"),
            )
        )
    best_video = max((h.detail["query_match_pct"] for h in found if h.hit.algorithm == "vpdq"), default=0.0)
    unlicensed = [track for _, track, _ in music if item.country not in track.territories]
    music_detail = {}
    if music:
        top_hit, top_track, top_match = max(music, key=lambda m: m[2].matched_s)
        music_detail = {
            "entry_id": top_track.entry_id,
            "title": top_track.title,
            "rights_holder": top_track.rights_holder,
            "matched_s": top_match.matched_s,
            "offset_s": top_match.offset_s,
        }
    signals = {
        "vpdq": [
            Signal(
                "vpdq_match",
                round(best_video / 100.0, 4),
                {"frames": len(frames)} if not best_video else {"frames": len(frames), "query_match_pct": best_video},
            )
        ],
        "music": [
            Signal("music_match", 1.0 if music else 0.0, music_detail),
            Signal(
                "music_unlicensed",
                1.0 if unlicensed else 0.0,
                {"titles": [t.title for t in unlicensed], "country": item.country} if unlicensed else {},
            ),
        ],
    }
    if fingerprint is None and "audio_error" not in summary:
        signals["music"] = [Signal("music_match", 0.0, {"audio": False}), Signal("music_unlicensed", 0.0)]
    elif unavailable:  # unknown, not "no match": rules must not read a score that was never measured
        signals["music"] = [
            Signal.failure(f"music fingerprinting is off on this worker: {unavailable}", retryable=False)
        ]
    store_signals(session, {item.id: signals}, IDENTITIES)
    summary["video_frames"] = len(frames)
    summary["audio_fingerprinted"] = fingerprint is not None
    return [h.hit for h in found] + [m.hit for m, _, _ in music]

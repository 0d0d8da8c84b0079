"""The hash stage: exact hashes of the item's bytes and normalised text, perceptual hashes
(PDQ with its quality, pHash, dHash) of images, and matches against the hash banks.

Idempotent: a rerun upserts the same hash rows and replaces the item's matches with what
the banks say now, so it never leaves duplicates behind.
"""

from __future__ import annotations

import logging

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from classifiers.hashing.compute import hash_image
from classifiers.hashing.crypto import bytes_hashes, text_hashes
from classifiers.hashing.images import ImageDecodeError
from classifiers.hashing.pdq import is_matchable_quality
from workbench.models import HashBank, HashMatch, Item, ItemHash
from workbench.pipeline.stages import StageContext, register_stage
from workbench.pipeline.video_hash import run_video_hashing
from workbench.services.banks.access import keep_matches_for_client
from workbench.services.banks.matching import BankHit, find_matches
from workbench.services.banks.runtime import matcher_for
from workbench.services.privacy.holds import place_bank_match_holds

log = logging.getLogger(__name__)


class BlobCorrupted(RuntimeError):
    """The stored bytes no longer match their content address."""


# algorithm -> (hex value, quality or None)
ComputedHashes = dict[str, tuple[str, int | None]]


def compute_hashes(item: Item, ctx: StageContext) -> tuple[ComputedHashes, str | None]:
    """Every hash of the item, and why perceptual hashing failed (None when it did not)."""
    hashes: ComputedHashes = {}
    problem = None
    if item.blob_sha256:
        data = ctx.blob_store.read(item.blob_sha256)
        hashes.update({algorithm: (value, None) for algorithm, value in bytes_hashes(data).items()})
        if hashes["sha256"][0] != item.blob_sha256:
            raise BlobCorrupted(f"blob {item.blob_sha256} hashes to {hashes['sha256'][0]}")
        if item.kind == "image":
            try:
                image = hash_image(data)
            except ImageDecodeError as exc:  # validated at upload, so rare; exact matching still runs
                problem = str(exc)[:200]
                log.warning("item %s: perceptual hashing failed: %s", item.id, exc)
            else:
                hashes["pdq"] = (image.pdq, image.pdq_quality)
                hashes["phash"] = (image.phash, None)
                hashes["dhash"] = (image.dhash, None)
    if item.text:
        hashes.update({algorithm: (value, None) for algorithm, value in text_hashes(item.text).items()})
    return hashes, problem


def upsert_item_hashes(session: Session, item: Item, hashes: ComputedHashes) -> None:
    existing = {row.algorithm: row for row in item.hashes}
    for algorithm, (value, quality) in hashes.items():
        row = existing.get(algorithm)
        if row is None:
            item.hashes.append(ItemHash(algorithm=algorithm, value=value, quality=quality))
        else:
            if row.value != value:
                row.value = value
            if row.quality != quality:
                row.quality = quality


def store_matches(session: Session, item: Item, hits: list[BankHit]) -> None:
    """Make the item's HashMatch rows exactly `hits` (a rerun leaves the same rows)."""
    existing = {
        (row.entry_id, row.algorithm): row
        for row in session.scalars(select(HashMatch).where(HashMatch.item_id == item.id))
    }
    wanted = {(hit.entry_id, hit.algorithm): hit for hit in hits}
    for key, row in existing.items():
        if key not in wanted:
            session.delete(row)
    for key, hit in wanted.items():
        row = existing.get(key)
        if row is None:
            session.add(
                HashMatch(
                    item_id=item.id,
                    bank_id=hit.bank_id,
                    entry_id=hit.entry_id,
                    algorithm=hit.algorithm,
                    distance=hit.distance,
                )
            )
        elif (row.bank_id, row.distance) != (hit.bank_id, hit.distance):
            row.bank_id, row.distance = hit.bank_id, hit.distance


def run_hash_stage(session: Session, item: Item, ctx: StageContext) -> dict:
    hashes, problem = compute_hashes(item, ctx)
    upsert_item_hashes(session, item, hashes)
    summary: dict = {"algorithms": sorted(hashes)}
    hits: list[BankHit] = []
    if item.blob_sha256:
        pdq_quality = hashes["pdq"][1] if "pdq" in hashes else None
        pdq_matchable = pdq_quality is not None and is_matchable_quality(pdq_quality)
        matcher = matcher_for(current_app, ctx.settings.bank_feed_poll_s)
        hits = find_matches(
            session,
            matcher,
            {algorithm: value for algorithm, (value, _) in hashes.items()},
            pdq_matchable=pdq_matchable,
        )
        if item.kind == "video":  # vPDQ, frames against image banks, music (pipeline/video_hash.py)
            hits += run_video_hashing(session, item, ctx, summary)
        if pdq_quality is not None:
            summary["pdq_quality"] = pdq_quality
            summary["pdq_matched"] = pdq_matchable  # False: recorded, too flat to match
        summary["bank_feed_position"] = matcher.position
        hits = keep_matches_for_client(session, item.client_id, hits)  # another platform's bank never acts here
    store_matches(session, item, hits)
    summary["matches"] = len(hits)
    if hits:
        summary["matched_banks"] = sorted({hit.bank_id for hit in hits})
        # A CSAM or terrorism match is evidence from now on (idempotent on a rerun).
        kinds = session.scalars(select(HashBank.kind).where(HashBank.id.in_(summary["matched_banks"]))).all()
        place_bank_match_holds(session, item, kinds)
    if problem:
        summary["perceptual_error"] = problem
    return summary


register_stage("hash", run_hash_stage)

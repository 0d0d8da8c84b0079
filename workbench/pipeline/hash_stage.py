"""The hash stage: exact hashes of the item's bytes and of its normalised text."""
from __future__ import annotations

from sqlalchemy.orm import Session

from classifiers.hashing.crypto import bytes_hashes, text_hashes
from workbench.models import Item, ItemHash
from workbench.pipeline.stages import StageContext, register_stage


class BlobCorrupted(RuntimeError):
    """The stored bytes no longer match their content address."""


def compute_exact_hashes(item: Item, ctx: StageContext) -> dict[str, str]:
    hashes: dict[str, str] = {}
    if item.blob_sha256:
        data = ctx.blob_store.read(item.blob_sha256)
        hashes.update(bytes_hashes(data))
        if hashes["sha256"] != item.blob_sha256:
            raise BlobCorrupted(f"blob {item.blob_sha256} hashes to {hashes['sha256']}")
    if item.text:
        hashes.update(text_hashes(item.text))
    return hashes


def upsert_item_hashes(session: Session, item: Item, hashes: dict[str, str]) -> None:
    existing = {row.algorithm: row for row in item.hashes}
    for algorithm, value in hashes.items():
        row = existing.get(algorithm)
        if row is None:
            item.hashes.append(ItemHash(algorithm=algorithm, value=value))
        elif row.value != value:
            row.value = value


def run_hash_stage(session: Session, item: Item, ctx: StageContext) -> dict:
    hashes = compute_exact_hashes(item, ctx)
    upsert_item_hashes(session, item, hashes)
    return {"algorithms": sorted(hashes)}


register_stage("hash", run_hash_stage)

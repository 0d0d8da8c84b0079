"""JSON documents the API returns."""

from __future__ import annotations

from flask import url_for

from workbench.api.policy_document import policy_document
from workbench.api.signal_document import signals_document
from workbench.extensions import db
from workbench.models import Item, Report
from workbench.models.base import iso


def item_document(item: Item, *, report_count: int) -> dict:
    blob = item.blob
    return {
        "id": item.id,
        "external_id": item.external_id,
        "url": url_for("api_v1.get_item", item_id=item.id),
        "kind": item.kind,
        "status": item.status,
        "stage": item.stage,
        "attempts": item.attempts,
        "error": item.error,
        "author": item.author_pseudonym,
        "country": item.country,
        "visible_in": item.visible_in,  # null = everywhere
        "language": item.language,
        "language_source": item.language_source,  # "platform" or "detected" (classify stage)
        "language_confidence": item.language_confidence,
        "account_age_days": item.account_age_days,
        "content_date": iso(item.content_date),
        "created_at": iso(item.created_at),
        "updated_at": iso(item.updated_at),
        "finished_at": iso(item.finished_at),
        "text": item.text,
        # "stored", or why the content is gone: text, file and hashes alike (services/privacy/content_purge.py).
        "content": "erased" if item.erased_at else "purged_under_retention" if item.content_purged_at else "stored",
        "content_purged_at": iso(item.content_purged_at),
        "blob": None
        if blob is None
        else {
            "sha256": blob.sha256,
            "mime": blob.mime,
            "size": blob.size,
            "width": blob.width,
            "height": blob.height,
            "frames": blob.frames,
            # Set on files purged before purges removed the file's row and the item's link to it.
            "purged_at": iso(blob.purged_at),
            "content": "purged_under_retention" if blob.purged_at else "stored",
        },
        "hashes": [{"algorithm": h.algorithm, "value": h.value} for h in item.hashes],
        "signals": signals_document(item.signals),  # by classifier, with the model's version and checksum
        "report_count": report_count,
        "policy": policy_document(db.session, item.id),  # evaluation, cases, decisions
    }


def report_document(report: Report) -> dict:
    return {
        "id": report.id,
        "item_id": report.item_id,
        "external_id": report.external_id,
        "source": report.source,
        "category": report.category,
        "issuing_jurisdiction": report.issuing_jurisdiction,
        "authority": report.authority,
        "authority_rank": report.authority_rank,
        "received_at": iso(report.received_at),
    }

"""The `signals` part of the item document: every classifier's scores, with the exact model
(name, version, sha256 of its files) that produced them, so a platform always sees which
model scored the item."""

from __future__ import annotations

import json
from collections.abc import Iterable

from workbench.models import ItemSignal


def _iso(value) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value else None


def signals_document(signals: Iterable[ItemSignal]) -> dict:
    """{classifier: {version, model_checksum, scored_at, scores: {label: score},
    details: {label: {...}} (when any), error}}; an error row fills `error`, not `scores`."""
    groups: dict[str, dict] = {}
    for row in sorted(signals, key=lambda r: (r.classifier, r.label)):
        group = groups.setdefault(
            row.classifier,
            {
                "version": row.classifier_version,
                "model_checksum": row.model_checksum,
                "scored_at": _iso(row.updated_at or row.created_at),
                "scores": {},
                "error": None,
            },
        )
        if row.error is not None:
            group["error"] = row.error
            continue
        group["scores"][row.label] = row.score
        if row.detail:
            group.setdefault("details", {})[row.label] = json.loads(row.detail)
    return groups

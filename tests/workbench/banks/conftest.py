"""Helpers for the hash-bank tests: driving banks through the real API."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from workbench.extensions import db
from workbench.models import AuditEvent, HashBank, HashMatch, ItemHash


class BankApi:
    def __init__(self, api):
        self.api = api
        self.client = api.client

    def create(self, name: str = "known-images", kind: str = "other", **fields) -> dict:
        response = self.api.post_json("/banks", {"name": name, "kind": kind, **fields})
        assert response.status_code == 201, response.json
        return response.json

    def patch(self, path: str, body: dict):
        return self.client.patch(f"/api/v1{path}", json=body, headers=self.api.headers)

    def delete(self, path: str):
        return self.client.delete(f"/api/v1{path}", headers=self.api.headers)

    def add(self, bank_id: int, *entries: tuple[str, str], **fields) -> dict:
        body = {"entries": [{"algorithm": a, "value": v} for a, v in entries], **fields}
        response = self.api.post_json(f"/banks/{bank_id}/entries", body)
        assert response.status_code in (200, 201), response.json
        return response.json

    def add_image(self, bank_id: int, data: bytes, **fields):
        form = {key: str(value) for key, value in fields.items()}
        form["image"] = (io.BytesIO(data), "reference.png")
        return self.client.post(
            f"/api/v1/banks/{bank_id}/entries", data=form, content_type="multipart/form-data", headers=self.api.headers
        )

    def upload_item(self, data: bytes, external_id: str) -> int:
        response = self.api.post_image(data, external_id=external_id, author_id="u1", country="DE")
        assert response.status_code == 201, response.json
        return response.json["id"]


@pytest.fixture
def banks(api):
    return BankApi(api)


def matches_of(app, item_id: int) -> list[tuple[str, str, str, int]]:
    """(algorithm, bank name, bank kind, distance): what the policy stage reads."""
    with app.app_context():
        rows = db.session.execute(
            select(HashMatch.algorithm, HashBank.name, HashBank.kind, HashMatch.distance)
            .join(HashBank, HashBank.id == HashMatch.bank_id)
            .where(HashMatch.item_id == item_id)
            .order_by(HashMatch.algorithm, HashBank.name)
        ).all()
        return [tuple(row) for row in rows]


def item_hashes(app, item_id: int) -> dict[str, tuple[str, int | None]]:
    with app.app_context():
        rows = db.session.scalars(select(ItemHash).where(ItemHash.item_id == item_id)).all()
        return {row.algorithm: (row.value, row.quality) for row in rows}


def hash_stage_summary(app, item_id: int) -> dict:
    import json

    with app.app_context():
        payload = db.session.scalar(
            select(AuditEvent.payload).where(
                AuditEvent.object_type == "item",
                AuditEvent.object_id == str(item_id),
                AuditEvent.action == "item.stage_completed",
                AuditEvent.payload.like('%"stage":"hash"%'),
            )
        )
    return json.loads(payload)

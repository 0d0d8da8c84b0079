"""Rows the policy tests need that other stages would write: signals, bank matches.

The classify and hash stages write these in production; the tests insert the same rows with
the real models so that the policy and route stages read exactly what they would read.
"""

from __future__ import annotations

import itertools

from sqlalchemy import select

from workbench.extensions import db

_serial = itertools.count(1)


def add_signals(app, item_id: int, scores: dict[str, float], classifier: str = "tests") -> None:
    from workbench.models import ItemSignal

    with app.app_context():
        for label, score in scores.items():
            db.session.add(
                ItemSignal(item_id=item_id, classifier=classifier, classifier_version="1", label=label, score=score)
            )
        db.session.commit()


def bank(app, kind: str, name: str | None = None) -> tuple[int, int]:
    """A hash bank of `kind` with one entry; returns (bank id, entry id)."""
    from workbench.models import BankEntry, HashBank

    name = name or f"{kind}-bank"
    with app.app_context():
        found = db.session.scalar(select(HashBank).where(HashBank.name == name))
        if found is None:
            found = HashBank(name=name, kind=kind)
            db.session.add(found)
            db.session.flush()
            db.session.add(BankEntry(bank_id=found.id, algorithm="pdq", value=f"{found.id:064x}"))
            db.session.commit()
        entry = db.session.scalar(select(BankEntry.id).where(BankEntry.bank_id == found.id))
        return found.id, entry


def known_image(app, data: bytes, kind: str, name: str | None = None) -> None:
    """Put the image's SHA-256 in a bank of `kind`: the real hash stage then matches it exactly."""
    import hashlib

    from workbench.models import BankEntry, HashBank

    name = name or f"{kind}-bank"
    with app.app_context():
        found = db.session.scalar(select(HashBank).where(HashBank.name == name))
        if found is None:
            found = HashBank(name=name, kind=kind)
            db.session.add(found)
            db.session.flush()
        db.session.add(BankEntry(bank_id=found.id, algorithm="sha256", value=hashlib.sha256(data).hexdigest()))
        db.session.commit()


def add_match(app, item_id: int, kind: str, name: str | None = None, distance: int = 4) -> None:
    """A stored match without running the hash stage (backtests read stored rows only)."""
    from workbench.models import HashMatch

    bank_id, entry_id = bank(app, kind, name)
    with app.app_context():
        db.session.add(
            HashMatch(item_id=item_id, bank_id=bank_id, entry_id=entry_id, algorithm="pdq", distance=distance)
        )
        db.session.commit()


def report(api, item_id: int, source: str, category: str, external_id: str | None = None, **extra):
    body = {"item_id": item_id, "source": source, "category": category, **extra}
    if external_id:
        body["external_id"] = external_id
    if source == "authority_order":
        body.setdefault("authority", "Test authority")
        body.setdefault("order_reference", "ORDER-1")
    response = api.post_json("/reports", body)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def rows(app, model, **filters) -> list:
    with app.app_context():
        statement = select(model).filter_by(**filters).order_by(model.id)
        found = db.session.scalars(statement).all()
        db.session.expunge_all()
        return found


def stored_item(
    app,
    country: str,
    *,
    kind: str = "text",
    signals: dict | None = None,
    matches=(),
    reports=(),
    created_at=None,
    external_id: str | None = None,
    visible_in: list[str] | None = None,
) -> int:
    """An item as the pipeline leaves it (rows inserted directly: no job is queued). `reports` are
    (source, category) or (source, category, issuing jurisdiction); no `visible_in`: everywhere."""
    from workbench.models import ApiClient, Item, ItemStatus, Report
    from workbench.models.base import utcnow

    with app.app_context():
        client = db.session.scalar(select(ApiClient).order_by(ApiClient.id).limit(1))
        if client is None:
            client = ApiClient(name="stored-items", key_prefix="stored", key_hash="0" * 64)
            db.session.add(client)
            db.session.flush()
        now = created_at or utcnow()
        item = Item(
            client_id=client.id,
            external_id=external_id or f"stored-{next(_serial)}",
            kind=kind,
            author_pseudonym="p",
            country=country,
            visible_in=visible_in,
            status=ItemStatus.PROCESSED,
            stage="route",
            created_at=now,
            updated_at=now,
        )
        db.session.add(item)
        db.session.flush()
        for source, category, *issuer in reports:
            db.session.add(
                Report(
                    item_id=item.id,
                    client_id=client.id,
                    source=source,
                    category=category,
                    issuing_jurisdiction=issuer[0] if issuer else None,
                    received_at=now,
                )
            )
        db.session.commit()
        item_id = item.id
    add_signals(app, item_id, signals or {})
    for bank_kind in matches:
        add_match(app, item_id, bank_kind)
    return item_id

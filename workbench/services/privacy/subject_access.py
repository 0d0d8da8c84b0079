"""GDPR Art. 15: everything held about one user of one platform, as JSON-ready data.

Pseudonyms are per platform (services/privacy/pseudonyms.py), so the request names the platform:
user "42" of another platform is another person and appears nowhere in the document.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.models import ApiClient, Appeal, Item, ItemSignal, Report
from workbench.models.base import iso, utcnow
from workbench.services.privacy.pseudonyms import pseudonymise


class UnknownPlatform(ValueError):
    """No API client with that id or name: a request must say which platform the user is on."""


def platform(session: Session, client: int | str) -> ApiClient:
    """The API client by id, or by name (the CLI takes names)."""
    found = (
        session.get(ApiClient, client)
        if isinstance(client, int)
        else session.scalar(select(ApiClient).where(ApiClient.name == client))
    )
    if found is None:
        raise UnknownPlatform(f"no platform (API client) {client!r}")
    return found


def platforms(session: Session) -> list[ApiClient]:
    return list(session.scalars(select(ApiClient).order_by(ApiClient.name)))


def subject_access_export(session: Session, *, pseudonym_key: str, client_id: int, platform_user_id: str) -> dict:
    client = platform(session, client_id)
    pseudonym = pseudonymise(pseudonym_key, client.id, platform_user_id)
    items = session.scalars(
        select(Item).where(Item.client_id == client.id, Item.author_pseudonym == pseudonym).order_by(Item.id)
    ).all()
    reports_made = session.scalars(
        select(Report).where(Report.client_id == client.id, Report.reporter_pseudonym == pseudonym).order_by(Report.id)
    ).all()
    appeals_made = session.scalars(
        select(Appeal)
        .where(Appeal.client_id == client.id, Appeal.complainant_pseudonym == pseudonym)
        .order_by(Appeal.id)
    ).all()
    document = {
        "platform": client.name,
        "pseudonym": pseudonym,
        "generated_at": iso(utcnow()),
        "items": [],
        "reports_made": [],
        "appeals_made": [],
    }
    for item in items:
        signals = session.scalars(select(ItemSignal).where(ItemSignal.item_id == item.id)).all()
        reports = session.scalars(select(Report).where(Report.item_id == item.id)).all()
        document["items"].append(
            {
                "id": item.id,
                "external_id": item.external_id,
                "kind": item.kind,
                "country": item.country,
                "language": item.language,
                "text": item.text,
                "content_date": iso(item.content_date),
                "received_at": iso(item.created_at),
                "status": item.status,
                "blob": {"sha256": item.blob.sha256, "mime": item.blob.mime, "size": item.blob.size}
                if item.blob
                else None,
                "hashes": [{"algorithm": h.algorithm, "value": h.value} for h in item.hashes],
                "signals": [
                    {"classifier": s.classifier, "version": s.classifier_version, "label": s.label, "score": s.score}
                    for s in signals
                ],
                "reports_about_it": [
                    {"source": r.source, "category": r.category, "received_at": iso(r.received_at)} for r in reports
                ],
            }
        )
    for report in reports_made:
        document["reports_made"].append(
            {
                "id": report.id,
                "item_id": report.item_id,
                "source": report.source,
                "category": report.category,
                "explanation": report.explanation,
                "received_at": iso(report.received_at),
                "contact": {"name": report.contact.name, "email": report.contact.email} if report.contact else None,
            }
        )
    for appeal in appeals_made:
        document["appeals_made"].append(
            {
                "id": appeal.id,
                "external_id": appeal.external_id,
                "decision_id": appeal.decision_id,
                "explanation": appeal.explanation,
                "status": appeal.status,
                "outcome": appeal.outcome,
                "reply": appeal.reply,
                "received_at": iso(appeal.received_at),
                "contact": {"name": appeal.contact.name, "email": appeal.contact.email} if appeal.contact else None,
            }
        )
    session.rollback()
    return document

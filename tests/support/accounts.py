"""Helpers for the accounts and wellness tests: form posts with CSRF, audit queries, items."""

from __future__ import annotations

import re

from sqlalchemy import select

from tests.support.auth import csrf_token_from
from workbench.extensions import db

PASSWORD = "correct horse battery"


def post_form(client, path: str, data: dict | None = None, *, token_from: str | None = None, **kwargs):
    """POST with the CSRF token of the page at `token_from` (default: `path` itself)."""
    page = client.get(token_from or path)
    body = dict(data or {})
    body["csrf_token"] = csrf_token_from(page.get_data(as_text=True))
    return client.post(path, data=body, **kwargs)


def log_in(client, username: str, password: str = PASSWORD, **kwargs):
    return post_form(client, "/login", {"username": username, "password": password}, token_from="/login", **kwargs)


def audit_events(app, prefix: str = "") -> list:
    from workbench.models import AuditEvent

    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action.like(prefix + "%")).order_by(AuditEvent.id)
        ).all()
        db.session.expunge_all()
        return rows


def actions(app, prefix: str = "") -> list[str]:
    return [event.action for event in audit_events(app, prefix)]


def make_items(app, rows: list[tuple[str, str | None]]) -> list[int]:
    """Items with (country, language); no pipeline run, just rows to filter."""
    from tests.support.factories import make_api_key
    from workbench.models import ApiClient, Item

    make_api_key(app, "scope-tests")
    with app.app_context():
        client_id = db.session.scalar(select(ApiClient.id).where(ApiClient.name == "scope-tests"))
        items = [
            Item(
                client_id=client_id,
                external_id=f"item-{n}",
                kind="text",
                author_pseudonym="p",
                country=country,
                language=language,
                text="x",
            )
            for n, (country, language) in enumerate(rows)
        ]
        db.session.add_all(items)
        db.session.commit()
        return [item.id for item in items]


def text_of(response) -> str:
    return response.get_data(as_text=True)


def code_text(html: str, element_id: str) -> str:
    match = re.search(rf'id="{element_id}">([^<]*)<', html)
    assert match, f"no #{element_id} in the page"
    return match.group(1)

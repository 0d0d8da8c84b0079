"""Rows the review tests need: published packs, items and open cases (as the route stage
would write them), and users with a scope."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import select

from workbench.extensions import db

_serial = itertools.count(1)
ROUTING_RULE = ("GLOBAL", "global.reports.user-volume")


def publish_default_packs(app) -> None:
    from workbench.services.policy.runtime import published_policies

    with app.app_context():
        published_policies(db.session, seed_if_empty=True)
        db.session.commit()


def client_id(app, webhook_url: str | None = None) -> int:
    from tests.support.factories import make_api_key
    from workbench.models import ApiClient

    with app.app_context():
        found = db.session.scalar(select(ApiClient.id).where(ApiClient.name == "review-tests"))
    if found is None:
        make_api_key(app, "review-tests")
        with app.app_context():
            found = db.session.scalar(select(ApiClient.id).where(ApiClient.name == "review-tests"))
    if webhook_url:
        with app.app_context():
            row = db.session.get(ApiClient, found)
            row.webhook_url, row.webhook_secret = webhook_url, "s" * 64
            db.session.commit()
    return found


def make_case(
    app,
    *,
    country: str = "DE",
    language: str | None = "de",
    text: str = "some text",
    author: str = "author-1",
    priority: str = "normal",
    due_in_h: float | None = 24,
    queue: str = "user_reports",
    rule=ROUTING_RULE,
) -> int:
    """An item and its open case; returns the case id."""
    from policies.catalogue import default_catalogue
    from policies.vocabulary import PRIORITY_RANK
    from workbench.models import Case, Item
    from workbench.models.base import utcnow

    publish_default_packs(app)
    cid = client_id(app)
    n = next(_serial)
    with app.app_context():
        item = Item(
            client_id=cid,
            external_id=f"review-{n}",
            kind="text",
            author_pseudonym=author,
            country=country,
            language=language,
            text=text,
            status="processed",
        )
        db.session.add(item)
        db.session.flush()
        now = utcnow()
        case = Case(
            item_id=item.id,
            queue=queue,
            priority=priority,
            priority_rank=PRIORITY_RANK[priority],
            status="open",
            due_at=now + timedelta(hours=due_in_h) if due_in_h is not None else None,
            rule_jurisdiction=rule[0],
            rule_pack_version=1,
            rule_id=rule[1],
            jurisdictions=default_catalogue().applicable_jurisdictions(country),
            escalations=[],
            created_at=now,
            updated_at=now,
        )
        db.session.add(case)
        db.session.commit()
        return case.id


def user(app, username: str, role: str = "moderator", **scope):
    """A detached User row (services take the user object)."""
    from tests.support.factories import make_user
    from workbench.models import User

    user_id = make_user(app, username, role, **scope)
    with app.app_context():
        row = db.session.get(User, user_id)
        db.session.expunge(row)
        return row


def decision_kwargs(**overrides) -> dict:
    body = {
        "outcome": "remove",
        "rule": "GLOBAL@1:global.reports.user-volume",
        "territorial_scope": None,
        "internal_note": "clear breach",
        "user_explanation": "Your post broke the rules on harassment.",
    }
    body.update(overrides)
    return body

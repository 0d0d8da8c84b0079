"""Rows the appeal and QA tests need: decided items (as a decision or the route stage leaves
them), users, and the platform's webhook URL."""

from __future__ import annotations

import itertools
from datetime import timedelta

from sqlalchemy import select

from workbench.extensions import db

_serial = itertools.count(1)
RULE = ("DE", 3, "de.netzdg.insult")


def client_of(app, api) -> int:
    """The API client id behind the `api` fixture's key ("wb_<prefix>_<secret>")."""
    from workbench.models import ApiClient

    with app.app_context():
        return db.session.scalar(select(ApiClient.id).where(ApiClient.key_prefix == api.key.split("_")[1]))


def set_webhook(app, client_id: int, url: str = "http://127.0.0.1:9/hook") -> None:
    from workbench.models import ApiClient

    with app.app_context():
        row = db.session.get(ApiClient, client_id)
        row.webhook_url, row.webhook_secret = url, "s" * 64
        db.session.commit()


def decided_item(
    app,
    client_id: int,
    *,
    decider_id: int | None = None,
    outcome: str = "remove",
    visibility: str = "removed",
    rule=RULE,
    country: str = "DE",
    language: str | None = "de",
    text: str = "some text",
    external_id: str | None = None,
    decided_days_ago: float = 0,
    open_case: bool = False,
) -> tuple[int, int]:
    """An item with one decision (human if decider_id, else automated) and, if it was a human
    one, its closed case. Returns (item id, decision id)."""
    from workbench.models import Case, Decision, Item
    from workbench.models.base import utcnow

    n = next(_serial)
    with app.app_context():
        now = utcnow()
        item = Item(
            client_id=client_id,
            external_id=external_id or f"appealed-{n}",
            kind="text",
            author_pseudonym="author",
            country=country,
            language=language,
            text=text,
            status="processed",
        )
        db.session.add(item)
        db.session.flush()
        case = None
        if decider_id is not None or open_case:
            case = Case(
                item_id=item.id,
                queue="user_reports",
                priority="normal",
                priority_rank=2,
                status="open" if open_case else "closed",
                due_at=now + timedelta(hours=24),
                rule_jurisdiction=rule[0],
                rule_pack_version=rule[1],
                rule_id=rule[2],
                jurisdictions=["GLOBAL", "EU", country],
                escalations=[],
                created_at=now,
                updated_at=now,
                closed_at=None if open_case else now,
            )
            db.session.add(case)
            db.session.flush()
        decision = Decision(
            item_id=item.id,
            case_id=case.id if case else None,
            automated=decider_id is None,
            outcome=outcome,
            actions=[
                {
                    "action": outcome,
                    "rule": {"jurisdiction": rule[0], "pack_version": str(rule[1]), "rule_id": rule[2]},
                    "superseded_by": None,
                }
            ],
            visibility=visibility,
            territorial_scope=None,
            rule_jurisdiction=rule[0],
            rule_pack_version=rule[1],
            rule_id=rule[2],
            decided_by=f"user:{decider_id}" if decider_id else "system:route",
            decided_by_user_id=decider_id,
            decided_at=now - timedelta(days=decided_days_ago),
        )
        db.session.add(decision)
        db.session.commit()
        return item.id, decision.id


def staff(app, username: str, role: str = "senior_moderator", **scope):
    """A detached User (the services take the user object)."""
    from tests.support.factories import make_user
    from workbench.models import User

    user_id = make_user(app, username, role, **scope)
    with app.app_context():
        row = db.session.get(User, user_id)
        db.session.expunge(row)
        return row


def appeal_body(external_id: str = "appeal-1", **fields) -> dict:
    body = {"external_id": external_id, "explanation": "My post was satire, not an insult."}
    body.update(fields)
    return body


def count(app, model, **filters) -> int:
    with app.app_context():
        return len(db.session.scalars(select(model).filter_by(**filters)).all())

"""Decisions for the export tests, made through the real decision service."""

from __future__ import annotations

import itertools
from datetime import datetime

from policies.plan import SEVERITY
from tests.workbench.review.helpers import client_id, make_case
from workbench import settings as workbench_settings
from workbench.extensions import db

_serial = itertools.count(1)
AUTHOR_PLATFORM_ID = "platform-user-4711"
REPORTER_EMAIL = "reporter.person@example.org"
ITEM_TEXT = "Meet me at Hauptstrasse 12, my number is 0151 2345678"


def add_report(
    app, item_id: int, source: str, category: str = "illegal_hate_speech", *, received_at: datetime | None = None
) -> None:
    from workbench.models import Report, ReportContact

    with app.app_context():
        report = Report(
            item_id=item_id,
            client_id=client_id(app),
            external_id=f"rep-{next(_serial)}",
            source=source,
            category=category,
            authority="Bundesamt für Justiz" if source == "authority_order" else None,
            reporter_pseudonym="p" * 64,
        )
        if received_at is not None:
            report.received_at = received_at
        report.contact = ReportContact(name="Rita Reporter", email=REPORTER_EMAIL)
        db.session.add(report)
        db.session.commit()


def decide(
    app,
    moderator,
    case_id: int,
    *,
    rule: str,
    outcome: str,
    scope=None,
    now: datetime | None = None,
    explanation: str = "Your post broke our rules.",
) -> int:
    from workbench.services.review import claims
    from workbench.services.review.decisions import decide_case

    with app.app_context():
        claimed = (
            claims.claim_next(db.session, moderator, now=now, settings=workbench_settings.current())
            if now
            else claims.claim_next(db.session, moderator, settings=workbench_settings.current())
        )
        assert claimed is not None and claimed.id == case_id, claimed
        decision = decide_case(
            db.session,
            case_id,
            moderator,
            outcome=outcome,
            rule=rule,
            territorial_scope=scope,
            internal_note="internal only",
            user_explanation=explanation,
            now=now,
            settings=workbench_settings.current(),
        )
        return decision.id


def item_of_case(app, case_id: int) -> int:
    from workbench.models import Case

    with app.app_context():
        return db.session.get(Case, case_id).item_id


def every_rule_outcome(app, country: str = "DE") -> list[tuple]:
    """(rule key, outcome, scope) for every restricting outcome of every enforced rule that applies to
    an item from `country`: what the catalogue and packs let a human decide."""
    from policies.dsa import eu_eea_countries
    from workbench.models import Case
    from workbench.services.review.decisions import allowed_rules

    case_id = make_case(app, country=country)
    with app.app_context():
        rules = allowed_rules(db.session, db.session.get(Case, case_id), settings=workbench_settings.current())
        db.session.get(Case, case_id).status = "closed"
        db.session.commit()
    combos = []
    for rule in rules:
        for outcome in rule.outcomes:
            if outcome not in SEVERITY:
                continue
            scope = None
            if outcome == "geo_restrict":
                allowed = sorted((rule.territory or eu_eea_countries()) & eu_eea_countries())
                scope = [country] if country in allowed else allowed[:1]
                if not scope:
                    continue  # restricted only outside the EU/EEA: no statement of reasons
            combos.append((rule.key, outcome, scope))
    return combos

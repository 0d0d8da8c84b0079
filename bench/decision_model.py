"""The decision timed by bench/audit.py, with and without its audit events.

It is the real moderator path: open cases on items (as the route stage writes them), a
moderator claims each case (not timed), then `decide_case` — the service behind the
decision form — is timed: rule and outcome checks against the published packs, the
Decision row, the statement of reasons, the guarded UPDATE that closes the case, the
decision hooks (QA sampling), the webhook outbox, the audit event, the commit.

"Without audit" runs the very same call with `record` replaced by a function that does
nothing (in every module that imported it), so no event is queued or sealed; nothing
else changes. Decisions alternate between the two modes one by one, so the machine's
load drifts onto both sides alike.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import select

from workbench import settings as workbench_settings
from workbench.extensions import db

RULE = "GLOBAL@1:global.reports.user-volume"


def _setup(count: int):
    from flask import current_app

    from policies.catalogue import default_catalogue
    from tests.support.factories import make_user
    from workbench.models import ApiClient, Case, Item, User
    from workbench.models.base import utcnow
    from workbench.services.policy.runtime import published_policies

    published_policies(db.session, seed_if_empty=True)
    db.session.commit()
    tag = time.monotonic_ns()
    user_id = make_user(current_app, f"bench-mod-{tag}", "moderator")
    client = db.session.scalar(select(ApiClient).where(ApiClient.name == "bench-decisions"))
    if client is None:
        client = ApiClient(name="bench-decisions", key_prefix="benchdec", key_hash="0" * 64)
        db.session.add(client)
        db.session.flush()
    jurisdictions = default_catalogue().applicable_jurisdictions("DE")
    case_ids = []
    for index in range(count):
        now = utcnow()
        item = Item(
            client_id=client.id,
            external_id=f"bench-{tag}-{index}",
            kind="text",
            author_pseudonym="0" * 64,
            country="DE",
            language="de",
            text="x",
            status="processed",
            created_at=now,
            updated_at=now,
        )
        db.session.add(item)
        db.session.flush()
        case = Case(
            item_id=item.id,
            queue="user_reports",
            priority="normal",
            priority_rank=2,
            status="open",
            due_at=now + timedelta(hours=24),
            rule_jurisdiction="GLOBAL",
            rule_pack_version=1,
            rule_id="global.reports.user-volume",
            jurisdictions=jurisdictions,
            escalations=[],
            created_at=now,
            updated_at=now,
        )
        db.session.add(case)
        db.session.flush()
        case_ids.append(case.id)
    db.session.commit()
    user = db.session.get(User, user_id)
    db.session.expunge(user)
    return user, case_ids


@contextmanager
def audit_switched_off():
    """Replace audit.record everywhere it was imported with a function that records nothing."""
    from workbench.audit import log

    original = log.record
    holders = [
        module
        for module in list(sys.modules.values())
        if module is not None and getattr(module, "record", None) is original
    ]
    for module in holders:
        module.record = lambda *args, **kwargs: None
    try:
        yield
    finally:
        for module in holders:
            module.record = original


def time_decisions(count: int) -> tuple[float, float]:
    """Seconds per decision without and with audit (count decisions of each)."""
    from workbench.services.review.claims import claim_case
    from workbench.services.review.decisions import decide_case

    user, case_ids = _setup(2 * count)
    spent = {False: 0.0, True: 0.0}
    for index, case_id in enumerate(case_ids):
        audited = (index % 2 == 0) == (index // 2 % 2 == 0)  # ABBA order
        claim_case(db.session, case_id, user, settings=workbench_settings.current())
        if audited:
            started = time.perf_counter()
            decide_case(
                db.session,
                case_id,
                user,
                outcome="remove",
                rule=RULE,
                internal_note="clear breach",
                user_explanation="Your post broke the rules on harassment.",
                settings=workbench_settings.current(),
            )
            spent[True] += time.perf_counter() - started
        else:
            with audit_switched_off():
                started = time.perf_counter()
                decide_case(
                    db.session,
                    case_id,
                    user,
                    outcome="remove",
                    rule=RULE,
                    internal_note="clear breach",
                    user_explanation="Your post broke the rules on harassment.",
                    settings=workbench_settings.current(),
                )
                spent[False] += time.perf_counter() - started
    return spent[False] / count, spent[True] / count


def time_minimal_transactions(count: int) -> tuple[float, float]:
    """The smallest decision-shaped transaction — lock the case, insert a Decision, close the
    case, commit — without and with one audit event (alternating): what sealing costs where
    almost nothing else happens. Seconds per transaction."""
    from workbench import audit
    from workbench.audit import Actor
    from workbench.models import Case, Decision
    from workbench.models.base import utcnow

    _, case_ids = _setup(2 * count)
    actor, spent = Actor.user(1), {False: 0.0, True: 0.0}
    for index, case_id in enumerate(case_ids):
        audited = (index % 2 == 0) == (index // 2 % 2 == 0)
        started = time.perf_counter()
        case = db.session.scalar(select(Case).where(Case.id == case_id).with_for_update(of=Case))
        decision = Decision(
            item_id=case.item_id,
            case_id=case.id,
            automated=False,
            outcome="remove",
            actions=[{"action": "remove"}],
            visibility="removed",
            rule_jurisdiction="GLOBAL",
            rule_pack_version=1,
            rule_id="global.reports.user-volume",
            decided_by="user:1",
            decided_at=utcnow(),
        )
        db.session.add(decision)
        db.session.flush()  # both sides: the id the event names, and what decide_case does too
        case.status, case.closed_at = "closed", utcnow()
        if audited:
            audit.record(
                db.session,
                actor,
                "decision.human",
                "decision",
                decision.id,
                case_id=case.id,
                outcome="remove",
                rule="GLOBAL@1:global.reports.user-volume",
            )
        db.session.commit()
        spent[audited] += time.perf_counter() - started
    return spent[False] / count, spent[True] / count

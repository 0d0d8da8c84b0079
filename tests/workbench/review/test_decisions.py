"""Decisions: the rule and outcome checks, the audit event, the webhook outbox, hooks, bulk."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.workbench.review.helpers import client_id, decision_kwargs, make_case, user
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import AuditEvent, Case, Decision, HashMatch, WebhookDelivery
from workbench.services.review import claims
from workbench.services.review.bulk import bulk_targets, decide_bulk
from workbench.services.review.decisions import DECISION_HOOKS, allowed_rules, decide_case
from workbench.services.review.errors import InvalidDecision, OutcomeNotAllowed, RuleNotAllowed


def test_decision_writes_decision_audit_and_webhook_in_one_go(app):
    client_id(app, webhook_url="https://platform.example/hooks")
    case_id = make_case(app, country="DE")
    alice = user(app, "alice")
    seen = []
    DECISION_HOOKS.append(lambda session, decision, settings: seen.append(decision.id))
    try:
        with app.app_context():
            claims.claim_next(db.session, alice, settings=workbench_settings.current())
            decision = decide_case(
                db.session, case_id, alice, **decision_kwargs(), settings=workbench_settings.current()
            )
            assert seen == [decision.id]
            stored = db.session.get(Decision, decision.id)
            assert not stored.automated and stored.decided_by_user_id == alice.id
            assert stored.outcome == "remove" and stored.visibility == "removed"
            assert stored.rule_ref == {
                "jurisdiction": "GLOBAL",
                "pack_version": "1",
                "rule_id": "global.reports.user-volume",
            }
            assert stored.internal_note == "clear breach"
            sor = stored.statement_of_reasons  # DE is in the EU: a statement of reasons is due
            assert sor["decision_facts"] == "Your post broke the rules on harassment."
            assert sor["automated_decision"] == "AUTOMATED_DECISION_NOT_AUTOMATED"
            case = db.session.get(Case, case_id)
            assert case.status == "closed" and case.closed_by_decision_id == decision.id
            event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "decision.human"))
            payload = json.loads(event.payload)
            assert payload["case_id"] == case_id and payload["rule"] == "GLOBAL@1:global.reports.user-volume"
            assert "clear breach" not in event.payload  # the note stays out of the audit log
            delivery = db.session.scalar(select(WebhookDelivery))
            assert delivery.event_key == f"decision:{decision.id}"
            body = json.loads(delivery.body)
            assert body["data"]["outcome"] == "remove" and body["data"]["automated"] is False
    finally:
        DECISION_HOOKS.clear()


def test_a_failing_hook_rolls_the_whole_decision_back(app):
    case_id = make_case(app)
    alice = user(app, "alice")

    def broken(session, decision, settings):
        raise RuntimeError("qa sampler down")

    DECISION_HOOKS.append(broken)
    try:
        with app.app_context():
            claims.claim_next(db.session, alice, settings=workbench_settings.current())
            with pytest.raises(RuntimeError):
                decide_case(db.session, case_id, alice, **decision_kwargs(), settings=workbench_settings.current())
            db.session.rollback()
            assert db.session.get(Case, case_id).is_open
            assert db.session.scalar(select(Decision)) is None
    finally:
        DECISION_HOOKS.clear()


def test_rule_and_outcome_checks(app):
    de_case = make_case(app, country="DE")
    us_case = make_case(app, country="US", language="en")
    alice = user(app, "alice")
    with app.app_context():
        case = db.session.get(Case, de_case)
        rules = {r.rule_id: r for r in allowed_rules(db.session, case, settings=workbench_settings.current())}
        assert next(iter(rules)) == "global.reports.user-volume"  # the routing rule first
        assert any(r.startswith("de.") for r in rules) and not any(r.startswith("us.") for r in rules)
        claims.claim_next(db.session, alice, settings=workbench_settings.current())
        us_rule = next(
            r
            for r in allowed_rules(db.session, db.session.get(Case, us_case), settings=workbench_settings.current())
            if r.jurisdiction == "US"
        )
        with pytest.raises(RuleNotAllowed, match="not an enforced rule"):
            decide_case(
                db.session, de_case, alice, **decision_kwargs(rule=us_rule.key), settings=workbench_settings.current()
            )
        with pytest.raises(RuleNotAllowed):
            decide_case(
                db.session, de_case, alice, **decision_kwargs(rule="nonsense"), settings=workbench_settings.current()
            )
        de_rule = next(r for r in rules.values() if r.jurisdiction == "DE")
        assert "remove" not in de_rule.outcomes or de_rule.territory is not None
        with pytest.raises(OutcomeNotAllowed):
            decide_case(
                db.session,
                de_case,
                alice,
                **decision_kwargs(rule=de_rule.key, outcome="teleport"),
                settings=workbench_settings.current(),
            )
        with pytest.raises(OutcomeNotAllowed, match="outside its territory"):
            decide_case(
                db.session,
                de_case,
                alice,
                **decision_kwargs(rule=de_rule.key, outcome="geo_restrict", territorial_scope=["FR"]),
                settings=workbench_settings.current(),
            )
        with pytest.raises(InvalidDecision, match="applies everywhere"):
            decide_case(
                db.session,
                de_case,
                alice,
                **decision_kwargs(territorial_scope=["DE"]),
                settings=workbench_settings.current(),
            )
        with pytest.raises(InvalidDecision) as missing:
            decide_case(
                db.session,
                de_case,
                alice,
                **decision_kwargs(user_explanation=" "),
                settings=workbench_settings.current(),
            )
        assert missing.value.field == "user_explanation"
        assert db.session.get(Case, de_case).is_open
        decision = decide_case(
            db.session,
            de_case,
            alice,
            **decision_kwargs(rule=de_rule.key, outcome="geo_restrict", territorial_scope=["de"]),
            settings=workbench_settings.current(),
        )
        assert decision.territorial_scope == ["DE"] and decision.visibility == "geo_restricted"


def test_no_action_keeps_the_item_up(app):
    case_id = make_case(app)
    alice = user(app, "alice")
    with app.app_context():
        claims.claim_next(db.session, alice, settings=workbench_settings.current())
        decision = decide_case(
            db.session, case_id, alice, **decision_kwargs(outcome="no_action"), settings=workbench_settings.current()
        )
        assert decision.visibility == "visible" and decision.statement_of_reasons is None


def test_bulk_by_author_records_each_decision(app):
    source = make_case(app, author="same-author")
    same = [make_case(app, author="same-author") for _ in range(3)]
    other = make_case(app, author="someone-else")
    alice, bob = user(app, "alice"), user(app, "bob")
    with app.app_context():
        claims.claim_next(
            db.session, alice, settings=workbench_settings.current()
        )  # the source case (lowest id of equal urgency)
        # Bob holds one of the author's cases: bulk must not take it from him.
        claims.claim_next(db.session, bob, settings=workbench_settings.current())
        held_by_bob = db.session.scalar(select(Case.id).where(Case.claimed_by_user_id == bob.id))
        assert {c.id for c in bulk_targets(db.session, source, alice, "author")} == set(same) - {held_by_bob}
        result = decide_bulk(
            db.session, source, alice, by="author", **decision_kwargs(), settings=workbench_settings.current()
        )
        assert sorted(result.decided) == sorted(set(same) - {held_by_bob})
        decisions = db.session.scalars(select(Decision).where(Decision.bulk_source_case_id == source)).all()
        assert sorted(d.case_id for d in decisions) == sorted(result.decided)
        audited = db.session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "decision.human"))
        assert sorted(int(i) for i in audited) == sorted(d.id for d in decisions)
        assert db.session.get(Case, other).is_open and db.session.get(Case, source).is_open


def test_bulk_by_hash_match(app):
    from tests.support.policies import bank

    source, twin, unrelated = make_case(app), make_case(app), make_case(app)
    alice = user(app, "alice")
    bank_id, entry_id = bank(app, "spam")
    with app.app_context():
        for case_id in (source, twin):
            item_id = db.session.get(Case, case_id).item_id
            db.session.add(HashMatch(item_id=item_id, bank_id=bank_id, entry_id=entry_id, algorithm="pdq", distance=3))
        db.session.commit()
        claims.claim_next(db.session, alice, settings=workbench_settings.current())
        result = decide_bulk(
            db.session,
            source,
            alice,
            by="hash",
            **decision_kwargs(outcome="no_action"),
            settings=workbench_settings.current(),
        )
        assert result.decided == [twin]
        assert db.session.get(Case, unrelated).is_open

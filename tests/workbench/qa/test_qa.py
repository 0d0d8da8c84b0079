"""QA: deterministic sampling of human and automated decisions, the second-review rule, agreement rates."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import select

from tests.support.accounts import actions
from tests.support.appeals_qa import client_of, decided_item, staff
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import Decision, QaSample
from workbench.services.qa.reviews import (
    InvalidQaReview,
    OwnDecisionRefused,
    QaAlreadyReviewed,
    QaNotAllowed,
    QaReview,
    agreement_by_moderator,
    agreement_by_rule,
    in_sample,
    next_sample,
    review_sample,
    sample_decision,
    sample_human_decision,
)


def test_sampling_is_deterministic_and_close_to_the_rate():
    ids = range(1, 20001)
    chosen = [i for i in ids if in_sample(i, 0.05)]
    assert chosen == [i for i in ids if in_sample(i, 0.05)]  # the same answer every time
    assert 0.045 < len(chosen) / 20000 < 0.055
    expected = [i for i in ids if int.from_bytes(hashlib.sha256(f"qa:{i}".encode()).digest()[:8], "big") / 2**64 < 0.05]
    assert chosen == expected  # the documented formula
    assert not any(in_sample(i, 0) for i in range(1, 500))
    assert all(in_sample(i, 1.0) for i in range(1, 500))
    assert set(chosen) <= {i for i in ids if in_sample(i, 0.2)}  # a higher rate keeps the earlier sample


def test_human_decisions_are_sampled_through_the_decision_hooks(app):
    from tests.workbench.review.helpers import decision_kwargs, make_case
    from workbench.services.review.claims import claim_next
    from workbench.services.review.decisions import decide_case

    workbench_settings.update(app, WORKBENCH_QA_SAMPLE_RATE=1.0)
    case_id = make_case(app)
    moderator = staff(app, "qa-mod", "moderator")
    with app.app_context():
        claim_next(db.session, moderator, settings=workbench_settings.current())
        decision = decide_case(
            db.session, case_id, moderator, **decision_kwargs(), settings=workbench_settings.current()
        )
        sample = db.session.scalar(select(QaSample).where(QaSample.decision_id == decision.id))
        assert sample is not None and sample.original_decider_user_id == moderator.id
        assert sample.status == "pending"
    assert "qa.sampled" in actions(app, "qa.")


def test_automated_decisions_are_sampled_by_the_route_stage(app, api, run_worker):
    from tests.support.factories import text_item
    from tests.support.policies import add_signals

    workbench_settings.update(app, WORKBENCH_QA_SAMPLE_RATE=1.0)
    item_id = api.post_json("/items", text_item("qa-auto", country="US")).json["id"]
    add_signals(app, item_id, {"sexual_explicit": 0.97})
    run_worker()
    with app.app_context():
        decision = db.session.scalar(select(Decision).where(Decision.item_id == item_id))
        assert decision is not None and decision.automated
        sample = db.session.scalar(select(QaSample).where(QaSample.decision_id == decision.id))
        assert sample is not None and sample.original_decider_user_id is None


def test_the_rate_decides_which_decisions_are_sampled(app, api):
    cid = client_of(app, api)
    workbench_settings.update(app, WORKBENCH_QA_SAMPLE_RATE=0.3)
    decision_ids = [decided_item(app, cid)[1] for _ in range(30)]
    with app.app_context():
        for decision_id in decision_ids:
            decision = db.session.get(Decision, decision_id)
            sample_human_decision(db.session, decision, workbench_settings.current())
            sample_human_decision(db.session, decision, workbench_settings.current())  # twice: still one sample
        db.session.commit()
        sampled = set(db.session.scalars(select(QaSample.decision_id)))
    assert sampled == {d for d in decision_ids if in_sample(d, 0.3)}


def _sampled(app, cid, decider=None, **item):
    _, decision_id = decided_item(app, cid, decider_id=decider.id if decider else None, **item)
    with app.app_context():
        sample = sample_decision(db.session, db.session.get(Decision, decision_id), rate=1.0)
        db.session.commit()
        return sample.id


def test_a_qa_review_is_never_by_the_original_decider(app, api):
    cid = client_of(app, api)
    senior, other = staff(app, "qa-senior"), staff(app, "qa-other")
    moderator, third = staff(app, "qa-mod-2", "moderator"), staff(app, "qa-third")
    sample_id = _sampled(app, cid, decider=senior)
    with app.app_context():
        with pytest.raises(OwnDecisionRefused):
            review_sample(db.session, sample_id, senior, QaReview("agree", None, None))
        assert next_sample(db.session, senior) is None  # not offered to them either
        assert db.session.get(QaSample, sample_id).status == "pending"
        with pytest.raises(QaNotAllowed):
            review_sample(db.session, sample_id, moderator, QaReview("agree", None, None))
        assert next_sample(db.session, other).id == sample_id
        reviewed = review_sample(db.session, sample_id, other, QaReview("agree", None, None))
        assert (reviewed.status, reviewed.verdict, reviewed.reviewer_user_id) == ("reviewed", "agree", other.id)
        assert reviewed.reviewer_outcome == "remove"
        with pytest.raises(QaAlreadyReviewed):
            review_sample(db.session, sample_id, third, QaReview("disagree", "no_action", "n"))
    assert actions(app, "qa.") == ["qa.sampled", "qa.claimed", "qa.reviewed"]


def test_a_disagreement_needs_an_outcome_and_a_note(app, api):
    cid = client_of(app, api)
    reviewer = staff(app, "qa-reviewer")
    sample_id = _sampled(app, cid)
    with app.app_context():
        with pytest.raises(InvalidQaReview):
            review_sample(db.session, sample_id, reviewer, QaReview("disagree", None, "too harsh"))
        with pytest.raises(InvalidQaReview):
            review_sample(db.session, sample_id, reviewer, QaReview("disagree", "no_action", ""))
        done = review_sample(db.session, sample_id, reviewer, QaReview("disagree", "no_action", "satire"))
        assert (done.verdict, done.reviewer_outcome, done.note) == ("disagree", "no_action", "satire")


def test_a_claimed_sample_is_not_handed_to_a_second_reviewer(app, api):
    cid = client_of(app, api)
    first, second = staff(app, "qa-first"), staff(app, "qa-second")
    sample_id = _sampled(app, cid)
    with app.app_context():
        assert next_sample(db.session, first).id == sample_id
        assert next_sample(db.session, second) is None
        with pytest.raises(QaAlreadyReviewed):
            review_sample(db.session, sample_id, second, QaReview("agree", None, None))


def test_agreement_rates_per_moderator_and_per_rule(app, api):
    cid = client_of(app, api)
    alice, bob, lead = staff(app, "alice", "moderator"), staff(app, "bob", "moderator"), staff(app, "lead")
    rule_a, rule_b = ("DE", 3, "de.rule-a"), ("GLOBAL", 1, "global.rule-b")
    # alice: 3 reviewed, 2 agreed (rule a, a, b); bob: 1 reviewed, 0 agreed (rule b);
    # automated: 2 reviewed, 1 agreed (rule a); one pending sample that must not count.
    plan = [
        (alice, rule_a, "agree"),
        (alice, rule_a, "agree"),
        (alice, rule_b, "disagree"),
        (bob, rule_b, "disagree"),
        (None, rule_a, "agree"),
        (None, rule_a, "disagree"),
        (alice, rule_b, None),
    ]
    samples = [(_sampled(app, cid, decider=decider, rule=rule), verdict) for decider, rule, verdict in plan]
    with app.app_context():
        for sample_id, verdict in samples:
            if verdict:
                review_sample(
                    db.session, sample_id, lead, QaReview(verdict, None if verdict == "agree" else "no_action", "why")
                )
        by_moderator = {row.key: (row.reviewed, row.agreed) for row in agreement_by_moderator(db.session)}
        by_rule = {row.key: (row.reviewed, row.agreed, round(row.rate, 3)) for row in agreement_by_rule(db.session)}
    assert by_moderator == {"alice": (3, 2), "bob": (1, 0), "automated": (2, 1)}
    assert by_rule == {"DE:de.rule-a": (4, 3, 0.75), "GLOBAL:global.rule-b": (2, 0, 0.0)}

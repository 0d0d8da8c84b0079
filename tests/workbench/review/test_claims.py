"""Claiming: order, leases, expiry, renewal, scope, escalation, hold; concurrency on PostgreSQL."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.workbench.review.helpers import decision_kwargs, make_case, user
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import AuditEvent, Case
from workbench.models.base import utcnow
from workbench.services.review import case_actions, claims
from workbench.services.review.decisions import decide_case
from workbench.services.review.errors import CaseClosed, LeaseLost, NotAllowed, ReviewError


def _actions(case_id=None):
    query = select(AuditEvent.action).order_by(AuditEvent.id)
    if case_id is not None:
        query = query.where(AuditEvent.object_id == str(case_id))
    return list(db.session.scalars(query))


def test_claims_most_urgent_first_and_one_at_a_time(app):
    normal = make_case(app, priority="normal", due_in_h=1)
    critical = make_case(app, priority="critical", due_in_h=48)
    later_high = make_case(app, priority="high", due_in_h=30)
    sooner_high = make_case(app, priority="high", due_in_h=10)
    alice, bob = user(app, "alice"), user(app, "bob")
    with app.app_context():
        first = claims.claim_next(db.session, alice, settings=workbench_settings.current())
        assert first.id == critical
        assert (
            claims.claim_next(db.session, alice, settings=workbench_settings.current()).id == critical
        )  # still hers: the same case back
        got = [claims.claim_next(db.session, bob, settings=workbench_settings.current()).id]
        assert got == [sooner_high]
        assert "case.claimed" in _actions(critical)
    assert normal and later_high


def test_lease_expiry_returns_the_case_and_a_late_decision_is_refused(app):
    case_id = make_case(app)
    alice, bob = user(app, "alice"), user(app, "bob")
    with app.app_context():
        t0 = utcnow()
        token = claims.claim_next(db.session, alice, now=t0, settings=workbench_settings.current()).claim_token
        assert (
            claims.claim_next(db.session, bob, now=t0 + timedelta(seconds=60), settings=workbench_settings.current())
            is None
        )
        later = t0 + timedelta(seconds=301)  # the default lease is 300 s
        taken = claims.claim_next(db.session, bob, now=later, settings=workbench_settings.current())
        assert taken.id == case_id and taken.claimed_by_user_id == bob.id
        with pytest.raises(LeaseLost, match="another moderator has taken it"):
            decide_case(
                db.session,
                case_id,
                alice,
                claim_token=token,
                now=later,
                **decision_kwargs(),
                settings=workbench_settings.current(),
            )
        assert db.session.get(Case, case_id).is_open
        decide_case(db.session, case_id, bob, now=later, **decision_kwargs(), settings=workbench_settings.current())
        with pytest.raises(CaseClosed):
            decide_case(
                db.session, case_id, alice, now=later, **decision_kwargs(), settings=workbench_settings.current()
            )


def test_expired_lease_of_the_same_user_is_refused_with_a_clear_message(app):
    case_id = make_case(app)
    alice = user(app, "alice")
    with app.app_context():
        t0 = utcnow()
        claims.claim_next(db.session, alice, now=t0, settings=workbench_settings.current())
        with pytest.raises(LeaseLost, match="expired at .* nothing was saved"):
            decide_case(
                db.session,
                case_id,
                alice,
                now=t0 + timedelta(minutes=6),
                **decision_kwargs(),
                settings=workbench_settings.current(),
            )


def test_renew_extends_the_lease(app):
    case_id = make_case(app)
    alice, bob = user(app, "alice"), user(app, "bob")
    with app.app_context():
        t0 = utcnow()
        claims.claim_next(db.session, alice, now=t0, settings=workbench_settings.current())
        expires = case_actions.renew_lease(
            db.session, case_id, alice, now=t0 + timedelta(seconds=250), settings=workbench_settings.current()
        )
        assert expires == t0 + timedelta(seconds=550)
        assert (
            claims.claim_next(db.session, bob, now=t0 + timedelta(seconds=400), settings=workbench_settings.current())
            is None
        )
        with pytest.raises(LeaseLost):
            case_actions.renew_lease(
                db.session, case_id, bob, now=t0 + timedelta(seconds=400), settings=workbench_settings.current()
            )
        with pytest.raises(LeaseLost):  # too late: the lease ran out
            case_actions.renew_lease(
                db.session, case_id, alice, now=t0 + timedelta(seconds=600), settings=workbench_settings.current()
            )


def test_release_returns_the_case_with_an_audit_event(app):
    case_id = make_case(app)
    alice, bob = user(app, "alice"), user(app, "bob")
    with app.app_context():
        claims.claim_next(db.session, alice, settings=workbench_settings.current())
        case_actions.release(db.session, case_id, alice)
        assert claims.claim_next(db.session, bob, settings=workbench_settings.current()).id == case_id
        assert _actions(case_id)[-3:] == ["case.claimed", "case.released", "case.claimed"]


def test_scope_by_region_and_language(app):
    de = make_case(app, country="DE", language="de")
    fr = make_case(app, country="FR", language="fr", priority="critical")
    us_en = make_case(app, country="US", language="en-US", priority="high")
    german = user(app, "german", jurisdictions=["DE"], languages=["de"])
    eu_any = user(app, "eu", jurisdictions=["EU"], languages=["*"])
    english = user(app, "english", jurisdictions=["GLOBAL"], languages=["en"])
    nobody = user(app, "nobody", jurisdictions=[], languages=[])
    with app.app_context():
        assert claims.claim_next(db.session, german, settings=workbench_settings.current()).id == de
        assert claims.claim_next(db.session, german, queue="other", settings=workbench_settings.current()) is None
        assert claims.claim_next(db.session, eu_any, settings=workbench_settings.current()).id == fr
        assert claims.claim_next(db.session, english, settings=workbench_settings.current()).id == us_en
        assert claims.claim_next(db.session, nobody, settings=workbench_settings.current()) is None


def test_roles_without_cases_decide_cannot_claim(app):
    make_case(app)
    auditor = user(app, "aud", role="auditor")
    with app.app_context(), pytest.raises(NotAllowed):
        claims.claim_next(db.session, auditor, settings=workbench_settings.current())


def test_escalation_goes_to_senior_moderators_only(app):
    case_id = make_case(app)
    alice, senior = user(app, "alice"), user(app, "senior", role="senior_moderator")
    with app.app_context():
        claims.claim_next(db.session, alice, settings=workbench_settings.current())
        with pytest.raises(ReviewError):
            case_actions.escalate(db.session, case_id, alice, "  ")
        case_actions.escalate(db.session, case_id, alice, "Possible legal order; needs legal review")
        assert claims.claim_next(db.session, alice, settings=workbench_settings.current()) is None
        case = claims.claim_next(db.session, senior, settings=workbench_settings.current())
        assert case.id == case_id and case.escalated
        assert case.escalations[-1]["to"] == "senior_moderator"
        assert "case.escalated" in _actions(case_id)


def test_hold_keeps_the_case_past_the_lease(app):
    held = make_case(app, priority="high")
    other = make_case(app)
    alice, bob = user(app, "alice"), user(app, "bob")
    with app.app_context():
        t0 = utcnow()
        claims.claim_next(db.session, alice, now=t0, settings=workbench_settings.current())
        until = case_actions.hold(
            db.session,
            held,
            alice,
            "waiting for the platform's context",
            hours=2,
            now=t0,
            settings=workbench_settings.current(),
        )
        assert until == t0 + timedelta(hours=2)
        # Holding frees Alice for another case; Bob cannot take the held one meanwhile.
        assert (
            claims.claim_next(
                db.session, alice, now=t0 + timedelta(minutes=10), settings=workbench_settings.current()
            ).id
            == other
        )
        # An hour later Alice's lease on `other` ran out: Bob gets that one, never the held case.
        assert (
            claims.claim_next(db.session, bob, now=t0 + timedelta(hours=1), settings=workbench_settings.current()).id
            == other
        )
        assert (
            claims.claim_next(
                db.session, bob, now=t0 + timedelta(hours=2, seconds=1), settings=workbench_settings.current()
            ).id
            == held
        )
        assert "case.held" in _actions(held)


def test_expire_leases_clears_and_audits(app):
    case_id = make_case(app)
    alice = user(app, "alice")
    with app.app_context():
        t0 = utcnow()
        claims.claim_next(db.session, alice, now=t0, settings=workbench_settings.current())
        assert case_actions.expire_leases(db.session, now=t0 + timedelta(seconds=10)) == 0
        assert case_actions.expire_leases(db.session, now=t0 + timedelta(seconds=301)) == 1
        assert db.session.get(Case, case_id).claimed_by_user_id is None
        assert _actions(case_id)[-1] == "case.lease_expired"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_concurrent_claims_never_hand_out_a_case_twice(app):
    cases = [make_case(app, priority=("critical", "high", "normal")[n % 3], author=f"a{n}") for n in range(60)]
    moderators = [user(app, f"mod{n}") for n in range(12)]
    handed: list[tuple[int, int]] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(moderators))

    def work(moderator):
        try:
            with app.app_context():
                barrier.wait()
                while True:
                    case = claims.claim_next(db.session, moderator, settings=workbench_settings.current())
                    if case is None:
                        break
                    with lock:
                        handed.append((case.id, moderator.id))
                    decide_case(
                        db.session, case.id, moderator, **decision_kwargs(), settings=workbench_settings.current()
                    )
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(m,)) for m in moderators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    ids = [case_id for case_id, _ in handed]
    assert sorted(ids) == sorted(cases)  # every case handed out exactly once
    with app.app_context():
        claimed_events = db.session.scalars(select(AuditEvent.object_id).where(AuditEvent.action == "case.claimed"))
        assert sorted(int(i) for i in claimed_events) == sorted(cases)


def test_the_sweeper_returns_expired_leases_to_the_queue_with_an_audit_event(app):
    from workbench.pipeline.sweeper import sweep, sweep_settings

    held_out = make_case(app, priority="high")
    live = make_case(app)
    alice, bob = user(app, "alice"), user(app, "bob")
    with app.app_context():
        t0 = utcnow()
        claims.claim_next(db.session, alice, now=t0, settings=workbench_settings.current())
        claims.claim_next(db.session, bob, now=t0 + timedelta(seconds=200), settings=workbench_settings.current())
        settings = sweep_settings(workbench_settings.of(app))
        sweep(db.session, settings, now=t0 + timedelta(seconds=100))  # both leases still live
        assert {c.id: c.claimed_by_user_id for c in db.session.scalars(select(Case))} == {
            held_out: alice.id,
            live: bob.id,
        }
        sweep(db.session, settings, now=t0 + timedelta(seconds=301))  # Alice's ran out, Bob's did not
        db.session.expire_all()
        assert db.session.get(Case, held_out).claimed_by_user_id is None
        assert db.session.get(Case, held_out).lease_expires_at is None
        assert db.session.get(Case, live).claimed_by_user_id == bob.id
        event = db.session.scalar(select(AuditEvent).where(AuditEvent.action == "case.lease_expired"))
        assert event.object_id == str(held_out) and f"user:{alice.id}" in event.payload
        assert event.actor_type == "system"


@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_concurrent_claims_take_over_expired_leases_exactly_once(app):
    """The single-statement claim (UPDATE … FROM (SELECT … FOR UPDATE SKIP LOCKED)) under
    contention: half the cases hold a lease that expired; each case is still handed out once,
    and every takeover names the claim it replaced."""
    cases = [make_case(app, priority=("critical", "high", "normal")[n % 3], author=f"b{n}") for n in range(40)]
    ghost = user(app, "ghost")
    with app.app_context():
        stale = utcnow() - timedelta(hours=1)
        for case_id in cases[::2]:
            row = db.session.get(Case, case_id)
            row.claimed_by_user_id, row.lease_expires_at, row.claim_token = ghost.id, stale, 1
        db.session.commit()
    moderators = [user(app, f"mod{n}") for n in range(10)]
    handed: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    barrier = threading.Barrier(len(moderators))

    def work(moderator):
        try:
            with app.app_context():
                barrier.wait()
                while (
                    case := claims.claim_next(db.session, moderator, settings=workbench_settings.current())
                ) is not None:
                    assert case.claimed_by_user_id == moderator.id
                    with lock:
                        handed.append(case.id)
                    decide_case(
                        db.session,
                        case.id,
                        moderator,
                        claim_token=case.claim_token,
                        **decision_kwargs(),
                        settings=workbench_settings.current(),
                    )
                db.session.remove()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(m,)) for m in moderators]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(handed) == sorted(cases)
    with app.app_context():
        payloads = db.session.scalars(select(AuditEvent.payload).where(AuditEvent.action == "case.claimed")).all()
        assert len(payloads) == len(cases)
        assert sum(f'"expired_claim_of":{ghost.id}' in p for p in payloads) == len(cases[::2])

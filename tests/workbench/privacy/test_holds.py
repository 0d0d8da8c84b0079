"""Evidence holds as rows: catalogue holds placed once and moved to the law's event, manual legal
holds placed, extended and released with their audit events, and erasure and retention waiting
for every active hold."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import select

from tests.support.appeals_qa import client_of
from tests.support.factories import make_user, text_item
from workbench import settings as workbench_settings
from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import AuditEvent, ErasureRequest, EvidenceHold, Item
from workbench.models.base import utcnow
from workbench.services.blobstore import BlobStore
from workbench.services.privacy.erasure import erase_person
from workbench.services.privacy.holds import (
    HoldError,
    active_holds,
    catalogue_requirement,
    extend_hold,
    hold_until,
    place_catalogue_holds,
    place_manual_hold,
    release_hold,
)
from workbench.services.privacy.retention import run_retention_round

SECRET = "Beweismittel 4711"


def item_of(app, api, external_id: str = "held", author: str = "person-1") -> int:
    return api.post_json("/items", text_item(external_id, author_id=author, text=SECRET)).json["id"]


def hold_events(app, action: str) -> list[dict]:
    with app.app_context():
        rows = db.session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id))
        return [json.loads(row.payload) for row in rows]


def erase(app, api):
    with app.app_context():
        settings = workbench_settings.of(app)
        return erase_person(
            db.session,
            actor=Actor.system("test"),
            pseudonym_key=settings.pseudonym_key,
            blob_store=BlobStore(settings.blob_dir),
            client_id=client_of(app, api),
            platform_user_id="person-1",
        )


def text_stored(app, item_id: int) -> bool:
    with app.app_context():
        return db.session.get(Item, item_id).text == SECRET


def test_catalogue_holds_are_placed_once_and_move_to_the_report(app, api):
    item_id = item_of(app, api)
    detected = utcnow() - timedelta(days=3)
    with app.app_context():
        item = db.session.get(Item, item_id)
        requirement = catalogue_requirement("US", "csam_report")
        assert requirement.hold.starts == "authority_report" and requirement.hold.period == "P1Y"
        [provisional] = place_catalogue_holds(db.session, item, [requirement], {"detection": detected})
        db.session.commit()
        assert provisional.provisional and provisional.starts_at == detected
        # The same requirement again, before the report: nothing new.
        assert place_catalogue_holds(db.session, item, [requirement], {"detection": utcnow()}) == []
        reported = detected + timedelta(days=1)
        [moved] = place_catalogue_holds(
            db.session, item, [requirement.to_dict()], {"authority_report": reported, "detection": detected}
        )
        db.session.commit()
        assert moved.id == provisional.id and not moved.provisional
        assert moved.ends_at == reported.replace(year=reported.year + 1)
        # The same report time again: idempotent.
        assert place_catalogue_holds(db.session, item, [requirement], {"authority_report": reported}) == []
        db.session.commit()
        assert len(db.session.scalars(select(EvidenceHold)).all()) == 1
        assert "2258A" in moved.citation and moved.gdpr_basis
    placed = hold_events(app, "hold.placed")
    assert [(e["provisional"], e["starts_from"]) for e in placed] == [(True, "detection"), (False, "authority_report")]


def test_an_erasure_during_a_manual_hold_is_postponed_then_finished_by_retention(app, api):
    item_id = item_of(app, api)
    with app.app_context():
        hold = place_manual_hold(
            db.session,
            db.session.get(Item, item_id),
            Actor.system("test"),
            reason="Preservation request of the county sheriff",
            citation="18 U.S.C. 2703(f) request ref PR-2026-17",
            jurisdiction="us",
            period="P90D",
        )
        db.session.commit()
        hold_id = hold.id
        assert hold.jurisdiction == "US" and "17(3)(e)" in hold.gdpr_basis  # non-EU law: the basis is recorded
    outcome = erase(app, api)
    assert outcome.items_erased == 0 and [h["item_id"] for h in outcome.held] == [item_id]
    assert "2703(f)" in outcome.held[0]["reason"]
    with app.app_context():
        run_retention_round(db.session, workbench_settings.of(app))  # the hold runs: nothing changes
    assert text_stored(app, item_id)
    with app.app_context():
        # 91 days later the hold has ended: the retention round finishes the erasure.
        run_retention_round(db.session, workbench_settings.of(app), now=utcnow() + timedelta(days=91))
        request = db.session.scalar(select(ErasureRequest))
        assert (request.held, request.items_erased) == ("[]", 1)
        assert db.session.get(EvidenceHold, hold_id).released_at is None
    assert not text_stored(app, item_id)
    erased = hold_events(app, "item.content_erased")
    assert erased and erased[-1]["after_hold"] is True


def test_an_erasure_waits_for_the_last_of_several_holds(app, api):
    item_id = item_of(app, api)
    with app.app_context():
        item = db.session.get(Item, item_id)
        requirement = catalogue_requirement("EU", "terrorist_content_removal_order")
        [tco] = place_catalogue_holds(db.session, item, [requirement], {requirement.hold.starts: utcnow()})
        manual = place_manual_hold(
            db.session,
            item,
            Actor.system("test"),
            reason="Claim",
            citation="Court order 5",
            jurisdiction="DE",
            period="P1Y",
        )
        db.session.commit()
        assert hold_until(db.session, item_id) == manual.ends_at > tco.ends_at
        assert "6(1)(c)" in manual.gdpr_basis  # Union law
        tco_id = tco.id
    assert erase(app, api).items_erased == 0
    with app.app_context():
        # Past the six months of the TCO hold but inside the manual one: still held.
        run_retention_round(db.session, workbench_settings.of(app), now=utcnow() + timedelta(days=200))
        assert db.session.scalar(select(ErasureRequest)).items_erased == 0
        assert [h.id for h in active_holds(db.session, item_id, utcnow() + timedelta(days=200))] != [tco_id]
    assert text_stored(app, item_id)
    with app.app_context():
        run_retention_round(db.session, workbench_settings.of(app), now=utcnow() + timedelta(days=400))
    assert not text_stored(app, item_id)


def test_manual_holds_extend_only_later_release_and_refuse_bad_input(app, api):
    item_id = item_of(app, api)
    user_id = make_user(app, "counsel", "legal")
    actor = Actor.user(user_id)
    with app.app_context():
        item = db.session.get(Item, item_id)
        common = {"citation": "TCO Art. 6(2) request", "jurisdiction": "EU"}
        for kwargs, field in (
            ({"reason": "", "period": "P1M"}, "reason"),
            ({"reason": "x" * 2001, "period": "P1M"}, "reason"),
            ({"reason": "ok", "ends_at": utcnow() - timedelta(days=1)}, "ends_at"),
            ({"reason": "ok"}, "ends_at"),
            ({"reason": "ok", "period": "six months"}, "period"),
            ({"reason": "ok", "period": "P300Y"}, "period"),
        ):
            with pytest.raises(HoldError) as refused:
                place_manual_hold(db.session, item, actor, **common, **kwargs)
            assert refused.value.field == field, kwargs
        with pytest.raises(HoldError):
            place_manual_hold(db.session, item, actor, reason="ok", citation="c", jurisdiction="Mars", period="P1M")
        hold = place_manual_hold(db.session, item, actor, reason="Request", period="P1M", **common)
        db.session.commit()
        first_end = hold.ends_at
        with pytest.raises(HoldError):
            extend_hold(db.session, hold.id, actor, ends_at=first_end - timedelta(days=1), reason="shorter")
        extend_hold(db.session, hold.id, actor, period="P1M", reason="renewed request")
        db.session.commit()
        assert hold.ends_at > first_end
        with pytest.raises(HoldError):
            release_hold(db.session, hold.id, actor, reason="  ")
        release_hold(db.session, hold.id, actor, reason="Request withdrawn")
        db.session.commit()
        assert hold.released_by_user_id == user_id and active_holds(db.session, item_id) == []
        with pytest.raises(HoldError):
            release_hold(db.session, hold.id, actor, reason="again")
        # A hold the law requires is not released by hand.
        requirement = catalogue_requirement("EU", "terrorist_content_removal_order")
        [legal] = place_catalogue_holds(db.session, item, [requirement], {"removal": utcnow()})
        db.session.commit()
        with pytest.raises(HoldError):
            release_hold(db.session, legal.id, actor, reason="no")
    assert [e["origin"] for e in hold_events(app, "hold.placed")] == ["manual", "catalogue"]
    assert len(hold_events(app, "hold.extended")) == 1 and len(hold_events(app, "hold.released")) == 1
    assert all("reason" not in e for e in hold_events(app, "hold.placed"))  # free text stays out of the log


def test_retention_honours_a_manual_hold(app, api):
    from tests.workbench.retention.test_retention import SETTINGS, run

    kept, gone = item_of(app, api, "kept", "a1"), item_of(app, api, "gone", "a2")
    with app.app_context():
        for item_id in (kept, gone):
            db.session.get(Item, item_id).status = "processed"
        place_manual_hold(
            db.session,
            db.session.get(Item, kept),
            Actor.system("test"),
            reason="Litigation hold",
            citation="Preservation letter of 1 Dec",
            jurisdiction="GB",
            period="P60D",
        )
        db.session.commit()
    assert SETTINGS.default_days == 30
    assert run(app, days=31) == [gone]
    assert run(app, days=59) == []
    assert run(app, days=61) == [kept]


def test_backfill_writes_the_holds_that_were_computed_once(app, api):
    """Before holds were rows: a CSAM match held from ingest, a restricting decision from its time."""
    from tests.support.policies import add_match
    from tests.workbench.review.helpers import publish_default_packs
    from workbench.models import Decision

    publish_default_packs(app)
    matched, decided = item_of(app, api, "matched", "a1"), item_of(app, api, "decided", "a2")
    add_match(app, matched, "csam")
    decided_at = utcnow() - timedelta(days=10)
    rule = {"jurisdiction": "IN", "pack_version": "1", "rule_id": "in.it-rules.government-or-court-order"}
    with app.app_context():
        db.session.add(
            Decision(
                item_id=decided,
                automated=True,
                outcome="remove",
                visibility="removed",
                actions=[{"action": "remove", "rule": rule, "superseded_by": None}],
                rule_jurisdiction="IN",
                rule_pack_version=1,
                rule_id=rule["rule_id"],
                decided_by="system:route",
                decided_at=decided_at,
            )
        )
        db.session.commit()
        ingested = db.session.get(Item, matched).created_at
    runner = app.test_cli_runner()
    first = runner.invoke(args=["privacy", "backfill-holds"])
    assert first.exit_code == 0 and first.output.startswith("2 hold(s) placed"), first.output
    with app.app_context():
        found = {h.item_id: h for h in db.session.scalars(select(EvidenceHold))}
        assert found[matched].starts_at == ingested and found[matched].ends_at == ingested.replace(
            year=ingested.year + 1
        )
        assert found[decided].ends_at == decided_at + timedelta(days=180)
    again = runner.invoke(args=["privacy", "backfill-holds"])
    assert again.output.startswith("0 hold(s) placed"), again.output
    listed = runner.invoke(args=["privacy", "holds", str(decided)])
    assert "1 active hold(s)" in listed.output and "3(1)(g)" not in listed.output
    placed = runner.invoke(
        args=[
            "privacy",
            "hold",
            str(decided),
            "--reason",
            "r",
            "--citation",
            "c",
            "--jurisdiction",
            "US",
            "--period",
            "P0D",
        ]
    )
    assert placed.exit_code != 0 and "in the future" in placed.output

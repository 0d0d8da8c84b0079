"""Retention: exactly the due items are purged (text, file and hashes), evidence holds keep
theirs, every purge is audited and the chain still verifies; a dry run changes nothing; the
case page and the API say the content was purged instead of failing."""

from __future__ import annotations

import hashlib
from datetime import timedelta

from sqlalchemy import select

from tests.support.factories import image_bytes
from tests.workbench.review.helpers import publish_default_packs
from workbench import settings as workbench_settings
from workbench.audit.checkpoints import create_checkpoint, verify_log
from workbench.audit.keys import signer_key
from workbench.extensions import db
from workbench.models import AuditEvent, Blob, Decision, Item, ItemHash
from workbench.models.base import utcnow
from workbench.services.blobstore import BlobStore
from workbench.services.privacy.retention import RetentionSettings, run_retention

SETTINGS = RetentionSettings(default_days=30, batch_size=2)  # small batches: the keyset paging runs too
IN_ORDER = ("IN", 1, "in.it-rules.government-or-court-order")  # IN/government_or_court_order: P180D from removal
US_CSAM_REPORT = ("US", 1, "us.ncmec.csam-report")  # US/csam_report: P1Y from the report (provisionally the decision)


def post_image(api, name: str, color, country: str) -> tuple[int, str]:
    data = image_bytes("PNG", color=color)
    item_id = api.post_image(data, external_id=name, author_id="u1", country=country).json["id"]
    return item_id, hashlib.sha256(data).hexdigest()


def finish(app, *item_ids) -> None:
    with app.app_context():
        for item_id in item_ids:
            db.session.get(Item, item_id).status = "processed"
        db.session.commit()


def decide(app, item_id: int, rule, *, visibility: str = "removed", outcome: str = "remove", at=None) -> None:
    """A human decision and the holds it brings (what the review decision hook places)."""
    from workbench.services.privacy.decision_holds import place_decision_holds

    with app.app_context():
        jurisdiction, version, rule_id = rule
        decision = Decision(
            item_id=item_id,
            automated=False,
            outcome=outcome,
            visibility=visibility,
            territorial_scope=None,
            actions=[
                {
                    "action": outcome,
                    "rule": {"jurisdiction": jurisdiction, "pack_version": str(version), "rule_id": rule_id},
                    "superseded_by": None,
                }
            ],
            rule_jurisdiction=jurisdiction,
            rule_pack_version=version,
            rule_id=rule_id,
            decided_by="user:1",
            decided_at=at or utcnow(),
        )
        db.session.add(decision)
        db.session.flush()
        place_decision_holds(db.session, decision)
        db.session.commit()


def run(app, *, days: float, dry_run: bool = False) -> list[int]:
    """The ids of the items purged (or, dry, due) by a round `days` from now."""
    with app.app_context():
        report = run_retention(
            db.session,
            BlobStore(workbench_settings.of(app).blob_dir),
            SETTINGS,
            now=utcnow() + timedelta(days=days),
            dry_run=dry_run,
        )
        return sorted(plan.item_id for plan in report.purged)


def stored(app, sha256: str) -> bool:
    return BlobStore(workbench_settings.of(app).blob_dir).exists(sha256)


def purge_events(app) -> list[tuple[str, dict]]:
    import json

    with app.app_context():
        rows = db.session.scalars(
            select(AuditEvent).where(AuditEvent.action == "item.content_purged").order_by(AuditEvent.id)
        ).all()
        return [(row.object_id, json.loads(row.payload)) for row in rows]


def test_purges_exactly_the_due_files_and_keeps_evidence_holds(app, api):
    publish_default_packs(app)
    plain, plain_sha = post_image(api, "never-actioned", (1, 1, 1), "FR")
    labelled, labelled_sha = post_image(api, "visible", (2, 2, 2), "IN")
    de, de_sha = post_image(api, "in-removed", (3, 3, 3), "IN")
    us, us_sha = post_image(api, "us-csam", (4, 4, 4), "US")
    pending, pending_sha = post_image(api, "still-in-pipeline", (5, 5, 5), "FR")
    finish(app, plain, labelled, de, us)
    decide(app, labelled, IN_ORDER, visibility="visible", outcome="no_action")  # nothing removed: no hold
    decide(app, de, IN_ORDER)
    decide(app, us, US_CSAM_REPORT)
    with app.app_context():
        create_checkpoint(db.session, signer_key())

    # A dry run past every deadline lists what is due and changes nothing.
    assert run(app, days=400, dry_run=True) == sorted([plain, labelled, de, us])
    assert purge_events(app) == [] and all(stored(app, s) for s in (plain_sha, labelled_sha, de_sha, us_sha))

    assert run(app, days=29) == []  # inside the default 30 days
    assert run(app, days=31) == sorted([plain, labelled])  # default period over; holds keep the rest
    assert not stored(app, plain_sha) and not stored(app, labelled_sha)
    assert stored(app, de_sha) and stored(app, us_sha) and stored(app, pending_sha)
    assert run(app, days=179) == []  # IT Rules r. 3(1)(g): 180 days from the removal
    assert run(app, days=181) == [de]
    assert run(app, days=364) == []  # 18 U.S.C. 2258A(h): one year
    assert run(app, days=367) == [us]
    assert stored(app, pending_sha)  # never purged while in the pipeline
    assert run(app, days=367) == []  # nothing twice

    events = purge_events(app)
    assert [int(object_id) for object_id, _ in events] == [plain, labelled, de, us]
    assert (
        events[2][1]["reason"] == "retention"
        and "in.it-rules.government-or-court-order" in events[2][1]["holds_ended"][0]
    )
    with app.app_context():
        # The file's row goes with the file (its SHA-256 is a hash of the content), and so do the
        # item's link to it and its content hashes; the item row stays for the decisions and figures.
        assert set(db.session.scalars(select(Blob.sha256))) == {pending_sha}
        for item_id in (plain, labelled, de, us):
            item = db.session.get(Item, item_id)
            assert item.content_purged_at is not None and item.blob_sha256 is None and item.text is None
            assert db.session.scalars(select(ItemHash).where(ItemHash.item_id == item_id)).all() == []
        create_checkpoint(db.session, signer_key())
        result = verify_log(db.session, signer_key())
        assert result.ok and result.checkpoints == 2, result.problems


def test_hold_periods_come_from_the_catalogue():
    from policies.catalogue import default_catalogue
    from policies.holds import add_period

    catalogue = default_catalogue()
    assert catalogue.hold_rule("IN", "government_or_court_order").period == "P180D"
    assert "2258A" in catalogue.hold_rule("US", "csam_report").citation
    assert catalogue.hold_rule("EU", "terrorist_content_removal_order").period == "P6M"
    start = utcnow().replace(year=2025, month=8, day=31)
    assert add_period(start, "P6M").date().isoformat() == "2026-02-28"
    assert add_period(start, "P10W") == start + timedelta(days=70)
    assert add_period(start, "P1Y").date().isoformat() == "2026-08-31"


def test_a_hash_bank_match_holds_from_detection(app, api):
    from tests.support.policies import add_match
    from workbench.services.privacy.holds import place_bank_match_holds

    item, sha = post_image(api, "bank-match", (6, 6, 6), "FR")
    finish(app, item)
    add_match(app, item, "terrorism")
    with app.app_context():  # what the hash stage does with the match
        place_bank_match_holds(db.session, db.session.get(Item, item), ["terrorism"])
        db.session.commit()
    assert run(app, days=100) == []  # Regulation (EU) 2021/784 Art. 6: six months
    assert run(app, days=190) == [item] and not stored(app, sha)


def test_cli_plan_and_dry_run_then_run_and_the_case_page_and_api_say_purged(app, api, auth, client):
    from tests.workbench.review.helpers import make_case

    publish_default_packs(app)
    kept, kept_sha = post_image(api, "held", (7, 7, 7), "US")
    gone, gone_sha = post_image(api, "gone", (8, 8, 8), "FR")
    finish(app, kept, gone)
    decide(app, kept, US_CSAM_REPORT)
    workbench_settings.update(app, WORKBENCH_RETENTION_DAYS=0)
    runner = app.test_cli_runner()
    plan = runner.invoke(args=["retention", "plan", "--within", "400"])
    assert plan.exit_code == 0, plan.output
    assert f"{gone:>10}" in plan.output and "2258A" in plan.output
    dry = runner.invoke(args=["retention", "run", "--dry-run"])
    assert "would purge 1 item(s)" in dry.output and stored(app, gone_sha) and purge_events(app) == []
    real = runner.invoke(args=["retention", "run"])
    assert "purged 1 item(s)" in real.output and "1 file(s) deleted" in real.output, real.output
    assert not stored(app, gone_sha) and stored(app, kept_sha)
    verify = runner.invoke(args=["audit", "verify"])
    assert verify.exit_code == 0 and verify.output.startswith("OK"), verify.output

    document = api.get(f"/items/{gone}").json
    assert document["content"] == "purged_under_retention" and document["content_purged_at"]
    assert document["blob"] is None and document["hashes"] == []
    assert api.get(f"/items/{kept}").json["content"] == "stored"

    case_id = make_case(app, country="FR", language=None)
    with app.app_context():
        from workbench.models import Case

        db.session.get(Item, db.session.get(Case, case_id).item_id).content_purged_at = utcnow()
        db.session.commit()
    auth.login("moderator")
    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "Content purged under retention" in page.get_data(as_text=True)
    media = client.get(f"/cases/{case_id}/media")
    assert media.status_code == 410 and media.get_json()["error"]["code"] == "content_purged"


def test_the_same_bytes_sent_again_revive_a_purged_file(app, api):
    item, sha = post_image(api, "first", (9, 9, 9), "FR")
    finish(app, item)
    assert run(app, days=31) == [item] and not stored(app, sha)
    again = api.post_image(image_bytes("PNG", color=(9, 9, 9)), external_id="second", author_id="u2", country="FR")
    assert again.status_code == 201 and stored(app, sha)
    with app.app_context():
        assert db.session.get(Blob, sha).purged_at is None
    assert run(app, days=31) == []  # the new item starts a new period
    assert stored(app, sha)

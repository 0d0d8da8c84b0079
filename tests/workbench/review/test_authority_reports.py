"""Reports to NCMEC (18 U.S.C. 2258A): a reviewer's CSAM finding leaves a pending report and a
provisional hold; recording the CyberTipline reference (who, when) moves the one-year hold to
the report's date. A rule's automated report waits for a person the same way."""

from __future__ import annotations

import json
from datetime import timedelta

from sqlalchemy import select

from tests.support.accounts import post_form
from tests.support.factories import image_bytes
from tests.support.policies import known_image
from tests.workbench.review.helpers import decision_kwargs, make_case, user
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import AuditEvent, AuthorityReport, Case, EvidenceHold, User
from workbench.models.base import utcnow
from workbench.services.review.claims import claim_case
from workbench.services.review.decisions import allowed_rules, decide_case

CSAM_ROUTING = ("US", "us.ncmec.csam-report")


def one_year_after(moment):
    return moment.replace(year=moment.year + 1)


def csam_finding(app, reviewer) -> int:
    """A case routed by the US CSAM rule, decided `remove` by a reviewer; returns the case id."""
    case_id = make_case(app, country="US", language="en", queue="ncmec_reports", rule=CSAM_ROUTING)
    with app.app_context():
        claim_case(db.session, case_id, reviewer, settings=workbench_settings.current())
        case = db.session.get(Case, case_id)
        rule = next(
            r for r in allowed_rules(db.session, case, settings=workbench_settings.current()) if "remove" in r.outcomes
        )
        decide_case(
            db.session, case_id, reviewer, **decision_kwargs(rule=rule.key), settings=workbench_settings.current()
        )
    return case_id


def test_a_reviewers_csam_finding_is_reported_and_held_one_year_from_the_report(app, client, auth):
    auth.login("moderator", username="reviewer")
    with app.app_context():
        reviewer_id = db.session.scalar(select(User.id).where(User.username == "reviewer"))
    reviewer = user(app, "reviewer-2", jurisdictions=("US",), languages=("*",))
    with app.app_context():
        db.session.get(User, reviewer_id).jurisdictions = ["US"]
        db.session.get(User, reviewer_id).languages = ["*"]
        db.session.commit()
    case_id = csam_finding(app, reviewer)
    with app.app_context():
        case = db.session.get(Case, case_id)
        [pending] = db.session.scalars(select(AuthorityReport)).all()
        assert (pending.authority, pending.law, pending.pending, pending.case_id) == (
            "NCMEC",
            "18 U.S.C. 2258A",
            True,
            case_id,
        )
        [provisional] = db.session.scalars(
            select(EvidenceHold).where(EvidenceHold.content_class == "csam_report")
        ).all()
        assert provisional.provisional and provisional.item_id == case.item_id

    page = client.get(f"/cases/{case_id}")
    assert page.status_code == 200 and "pending: not reported yet" in page.get_data(as_text=True)
    reported_at = utcnow().replace(second=0, microsecond=0)  # the form gives minutes
    bad = post_form(
        client,
        f"/cases/{case_id}/authority-report",
        {
            "report-authority": "NCMEC",
            "report-reference": "",
            "report-reported_at": reported_at.strftime("%Y-%m-%dT%H:%M"),
        },
        token_from=f"/cases/{case_id}",
        follow_redirects=True,
    )
    assert "The report was not recorded" in bad.get_data(as_text=True)
    future = post_form(
        client,
        f"/cases/{case_id}/authority-report",
        {
            "report-authority": "NCMEC",
            "report-reference": "CT-1",
            "report-reported_at": (utcnow() + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M"),
        },
        token_from=f"/cases/{case_id}",
        follow_redirects=True,
    )
    assert "in the future" in future.get_data(as_text=True)
    done = post_form(
        client,
        f"/cases/{case_id}/authority-report",
        {
            "report-authority": "NCMEC",
            "report-reference": "CT-98765432",
            "report-reported_at": reported_at.strftime("%Y-%m-%dT%H:%M"),
        },
        token_from=f"/cases/{case_id}",
    )
    assert done.status_code == 302, done.status_code
    assert "Report recorded" in client.get(done.headers["Location"]).get_data(as_text=True)
    with app.app_context():
        [report] = db.session.scalars(select(AuthorityReport)).all()
        assert (report.reference, report.reported_at, report.reported_by_user_id) == (
            "CT-98765432",
            reported_at,
            reviewer_id,
        )
        [hold] = db.session.scalars(select(EvidenceHold).where(EvidenceHold.content_class == "csam_report")).all()
        assert hold.id == provisional.id and not hold.provisional
        assert (hold.starts_at, hold.ends_at) == (reported_at, one_year_after(reported_at))
        recorded = db.session.scalars(select(AuditEvent).where(AuditEvent.action == "authority_report.recorded")).all()
        assert [json.loads(e.payload)["reference"] for e in recorded] == ["CT-98765432"]
        assert recorded[0].actor_id == str(reviewer_id)
    shown = client.get(f"/items/{report.item_id}/evidence").get_data(as_text=True)
    assert "CT-98765432" in shown and one_year_after(reported_at).strftime("%Y-%m-%d") in shown


def test_a_case_without_a_report_called_for_refuses_one(app, client, auth):
    auth.login("moderator", username="plain-reviewer")
    case_id = make_case(app, country="DE", language="de")
    response = post_form(
        client,
        f"/cases/{case_id}/authority-report",
        {"report-authority": "NCMEC", "report-reference": "CT-1", "report-reported_at": "2026-01-01T10:00"},
        token_from=f"/cases/{case_id}",
        follow_redirects=True,
    )
    assert "No report to NCMEC is called for on this case" in response.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(AuthorityReport)).all() == []


def test_an_automated_csam_removal_leaves_the_report_pending_until_legal_records_it(app, api, client, auth, run_worker):
    data = image_bytes("PNG", color=(201, 13, 77))
    known_image(app, data, "csam")
    item_id = api.post_image(data, external_id="known-csam", author_id="u1", country="US").json["id"]
    run_worker()
    with app.app_context():
        reports = db.session.scalars(select(AuthorityReport).where(AuthorityReport.item_id == item_id)).all()
        assert [(r.authority, r.pending) for r in reports] == [("NCMEC", True)]
        [hold] = db.session.scalars(select(EvidenceHold).where(EvidenceHold.item_id == item_id)).all()
        assert hold.provisional and hold.content_class == "csam_report"  # from the hash stage's match
    auth.login("legal", username="counsel")
    with app.app_context():
        counsel = db.session.scalar(select(User).where(User.username == "counsel"))
        counsel.jurisdictions, counsel.languages = ["US"], ["*"]
        db.session.commit()
    page = client.get(f"/items/{item_id}/evidence")
    assert page.status_code == 200 and "pending: not reported yet" in page.get_data(as_text=True)
    reported_at = utcnow().replace(second=0, microsecond=0)
    response = post_form(
        client,
        f"/items/{item_id}/authority-reports",
        {
            "report-authority": "NCMEC",
            "report-reference": "CT-42",
            "report-reported_at": reported_at.strftime("%Y-%m-%dT%H:%M"),
        },
        token_from=f"/items/{item_id}/evidence",
    )
    assert response.status_code == 302
    with app.app_context():
        [report] = db.session.scalars(select(AuthorityReport).where(AuthorityReport.item_id == item_id)).all()
        assert report.reference == "CT-42" and report.rule.startswith("US@")
        [hold] = db.session.scalars(select(EvidenceHold).where(EvidenceHold.item_id == item_id)).all()
        assert hold.ends_at == one_year_after(reported_at) and not hold.provisional

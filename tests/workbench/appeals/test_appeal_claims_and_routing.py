"""An item under appeal: new reports do not re-route its appeal case, and "next case" never
hands the appeal to the moderator whose decision it appeals (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from tests.support.appeals_qa import appeal_body, client_of, decided_item, staff
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import Appeal, AuditEvent, Case
from workbench.services.review import claims
from workbench.services.review.errors import NotAllowed


def _appeal(app, api, decider_id: int, external_id: str = "appeal-1") -> tuple[int, int, int]:
    """(item id, appeal id, appeal case id) for an item a moderator decided, appealed through the API."""
    item_id, decision_id = decided_item(
        app, client_of(app, api), decider_id=decider_id, external_id=f"post-{external_id}"
    )
    response = api.post_json("/appeals", appeal_body(external_id, decision_id=decision_id))
    assert response.status_code == 201, response.get_json()
    with app.app_context():
        appeal = db.session.get(Appeal, response.get_json()["id"])
        return item_id, appeal.id, appeal.case_id


def test_next_case_never_hands_an_appeal_to_the_original_decider(app, api):
    decider, other = staff(app, "senior-decider"), staff(app, "senior-other")
    _, _, appeal_case = _appeal(app, api, decider.id)
    with app.app_context():
        assert claims.claim_next(db.session, decider, settings=workbench_settings.current()) is None
        assert claims.claim_next(db.session, decider, queue="appeals", settings=workbench_settings.current()) is None
        with pytest.raises(NotAllowed, match="your own decision"):
            claims.claim_case(db.session, appeal_case, decider, settings=workbench_settings.current())
        assert db.session.get(Case, appeal_case).claimed_by_user_id is None
        assert claims.claim_next(db.session, other, settings=workbench_settings.current()).id == appeal_case


def test_the_original_decider_still_gets_other_cases_and_other_appeals(app, api):
    decider, colleague = staff(app, "senior-a"), staff(app, "senior-b")
    _, _, own_appeal = _appeal(app, api, decider.id, "appeal-own")
    _, _, colleagues_appeal = _appeal(app, api, colleague.id, "appeal-colleague")
    with app.app_context():
        assert claims.claim_next(db.session, decider, settings=workbench_settings.current()).id == colleagues_appeal
        assert claims.claim_next(db.session, colleague, settings=workbench_settings.current()).id == own_appeal


def test_new_reports_do_not_reroute_an_appeal_case(app, api, run_worker):
    decider, other = staff(app, "senior-decider"), staff(app, "senior-other")
    item_id, appeal_id, appeal_case = _appeal(app, api, decider.id)
    with app.app_context():
        before = db.session.get(Case, appeal_case)
        expected = (before.queue, before.priority, before.due_at, before.rule_id, list(before.escalations))
    for n in range(3):  # a trusted flagger's notice and user reports: each routes an item on its own
        source = "trusted_flagger" if n == 0 else "user"
        response = api.post_json(
            "/reports",
            {
                "item_id": item_id,
                "source": source,
                "category": "illegal_hate_speech",
                "explanation": "Hate speech.",
                "external_id": f"notice-{n}",
                "reporter": {"id": f"reporter-{n}"},
            },
        )
        assert response.status_code == 201, response.get_json()
    run_worker()
    with app.app_context():
        cases = db.session.scalars(select(Case).where(Case.item_id == item_id, Case.status == "open")).all()
        assert [c.id for c in cases] == [appeal_case]
        case = cases[0]
        assert (case.queue, case.priority, case.due_at, case.rule_id, case.escalations) == expected
        assert case.queue == "appeals" and case.escalated
        reevaluated = db.session.scalars(
            select(AuditEvent.action).where(AuditEvent.object_id == str(appeal_case))
        ).all()
        assert "case.tightened" not in reevaluated
        assert claims.claim_next(db.session, other, settings=workbench_settings.current()).id == appeal_case
    assert appeal_id

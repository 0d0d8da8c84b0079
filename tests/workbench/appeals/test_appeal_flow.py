"""Appeals with the real neighbours: a moderator's decision through the review services, the
generic decision form refused on an appeal case, and an overturn delivered to a real receiver."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.support.appeals_qa import appeal_body, staff
from tests.support.receiver import Receiver
from tests.workbench.review.helpers import decision_kwargs, make_case
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import Case, Decision, DeliveryStatus, Item, WebhookDelivery
from workbench.services.appeals.complaints import AppealSettings, OriginalDeciderRefused, receive_appeal
from workbench.services.appeals.decisions import decide_appeal
from workbench.services.appeals.submissions import parse_appeal_fields
from workbench.services.review.claims import claim_next
from workbench.services.review.decisions import decide_case
from workbench.services.review.errors import ReviewError


def test_a_moderators_decision_appealed_and_decided_by_someone_else(app):
    case_id = make_case(app, country="DE")
    senior, other = staff(app, "senior-decider"), staff(app, "senior-reviewer")
    with app.app_context():
        assert claim_next(db.session, senior, settings=workbench_settings.current()).id == case_id
        decision = decide_case(db.session, case_id, senior, **decision_kwargs(), settings=workbench_settings.current())
        client_id = db.session.get(Item, decision.item_id).client_id
        submission = parse_appeal_fields(appeal_body("flow-1", decision_id=decision.id), max_explanation_chars=5000)
        appeal = receive_appeal(
            db.session,
            client_id=client_id,
            submission=submission,
            pseudonym_key="k",
            settings=AppealSettings.from_settings(workbench_settings.of(app)),
        ).appeal
        appeal_id, appeal_case = appeal.id, appeal.case_id
        # The senior who decided is never handed the appeal case by "next case", cannot decide it...
        assert claim_next(db.session, senior, queue="appeals", settings=workbench_settings.current()) is None
        with pytest.raises(OriginalDeciderRefused):
            decide_appeal(db.session, appeal_id, senior, "overturn", reply="Restored.")
        # ...and nobody closes it with the generic decision form (the appeal-case guard in DECISION_HOOKS).
        assert claim_next(db.session, other, queue="appeals", settings=workbench_settings.current()).id == appeal_case
        with pytest.raises(ReviewError, match="appeal"):
            decide_case(db.session, appeal_case, other, **decision_kwargs(), settings=workbench_settings.current())
        assert db.session.get(Case, appeal_case).status == "open"
        assert len(db.session.scalars(select(Decision).where(Decision.item_id == decision.item_id)).all()) == 1
        from workbench.services.review.case_actions import release

        release(db.session, appeal_case, other)
        result = decide_appeal(db.session, appeal_id, other, "overturn", reply="Restored on appeal.")
        assert result.restore_decision.visibility == "visible"


def test_an_automated_restriction_overturned_reaches_the_platform(app, api, run_worker):
    from tests.support.factories import text_item
    from tests.support.policies import add_signals
    from workbench.jobs.worker import run_worker as drain

    senior = staff(app, "senior-flow")
    with Receiver() as receiver:
        api.client.put("/api/v1/webhook", json={"url": receiver.url}, headers=api.headers)
        item_id = api.post_json("/items", text_item("story-1", country="US")).json["id"]
        add_signals(app, item_id, {"sexual_explicit": 0.97})  # what the text classifier would store
        run_worker()
        with app.app_context():
            automated = db.session.scalars(select(Decision).where(Decision.item_id == item_id)).all()
            open_case = db.session.scalar(select(Case).where(Case.item_id == item_id, Case.status == "open"))
        assert automated and automated[0].automated and automated[0].visibility == "age_restricted"
        response = api.post_json("/appeals", appeal_body("story-appeal", item_external_id="story-1"))
        if open_case is not None:  # the packs also sent it for review: the appeal waits for that decision
            assert response.status_code == 409 and response.get_json()["error"]["code"] == "review_in_progress"
            pytest.fail("the default packs now also queue sexually explicit text: pick another automated rule")
        assert response.status_code == 201, response.get_json()
        appeal_id = response.get_json()["id"]
        with app.app_context():
            decide_appeal(db.session, appeal_id, senior, "overturn", reply="Medical text, not sexual content.")
            drain(["webhooks"], burst=True, with_scheduler=False)
            statuses = {d.event_type: d.status for d in db.session.scalars(select(WebhookDelivery))}
    assert statuses["appeal.decided"] == DeliveryStatus.DELIVERED
    bodies = [json.loads(r["body"]) for r in receiver.requests]
    decided = [b for b in bodies if b["event"] == "appeal.decided"]
    assert len(decided) == 1 and decided[0]["data"]["decision"]["visibility"] == "visible"
    assert api.get(f"/appeals/{appeal_id}").get_json()["outcome"] == "overturn"

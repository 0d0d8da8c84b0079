"""Deciding appeals: the reviewer rule, uphold vs overturn, the webhook, one decision per appeal."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from tests.support.accounts import actions
from tests.support.appeals_qa import appeal_body, client_of, count, decided_item, set_webhook, staff
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import Appeal, Case, Decision, DecisionReversal, WebhookDelivery
from workbench.services.appeals.complaints import (
    AppealAlreadyDecided,
    AppealNotFound,
    NotAllowed,
    OriginalDeciderRefused,
)
from workbench.services.appeals.decisions import decide_appeal


def _appeal(app, api, *, decider=None, **item):
    cid = client_of(app, api)
    set_webhook(app, cid)
    item_id, decision_id = decided_item(app, cid, decider_id=decider.id if decider else None, **item)
    response = api.post_json("/appeals", appeal_body(f"ap-{decision_id}", decision_id=decision_id))
    assert response.status_code == 201, response.get_json()
    return response.get_json()["id"], decision_id, item_id


def test_the_original_decider_may_not_decide_the_appeal(app, api):
    senior = staff(app, "senior-who-decided")
    appeal_id, decision_id, _ = _appeal(app, api, decider=senior)
    with app.app_context():
        with pytest.raises(OriginalDeciderRefused):
            decide_appeal(db.session, appeal_id, senior, "overturn", reply="Restored.")
        appeal = db.session.get(Appeal, appeal_id)
        assert appeal.status == "open" and appeal.outcome is None
        assert db.session.get(Case, appeal.case_id).status == "open"
        assert db.session.get(DecisionReversal, decision_id) is None
    assert "appeal.decided" not in actions(app, "appeal.")
    assert count(app, WebhookDelivery) == 0


def test_a_role_without_appeals_decide_is_refused(app, api):
    appeal_id, _, _ = _appeal(app, api)
    moderator = staff(app, "plain-mod", "moderator")
    with app.app_context():
        with pytest.raises(NotAllowed):
            decide_appeal(db.session, appeal_id, moderator, "uphold", reply="No.")
        assert db.session.get(Appeal, appeal_id).status == "open"


def test_out_of_scope_senior_does_not_find_the_appeal(app, api):
    appeal_id, _, _ = _appeal(app, api, country="DE")
    french = staff(app, "senior-fr", jurisdictions=("FR",), languages=("*",))
    with app.app_context():
        with pytest.raises(AppealNotFound):
            decide_appeal(db.session, appeal_id, french, "uphold", reply="No.")


def test_uphold_keeps_the_decision_and_notifies_the_platform(app, api):
    moderator = staff(app, "mod-1", "moderator")
    senior = staff(app, "senior-1")
    appeal_id, decision_id, item_id = _appeal(app, api, decider=moderator)
    with app.app_context():
        result = decide_appeal(
            db.session, appeal_id, senior, "uphold", reply="The post insults a person.", note="clear case"
        )
        assert result.restore_decision is None
        appeal = db.session.get(Appeal, appeal_id)
        assert (appeal.status, appeal.outcome, appeal.decided_by_user_id) == ("decided", "uphold", senior.id)
        assert db.session.get(Case, appeal.case_id).status == "closed"
        assert db.session.get(DecisionReversal, decision_id) is None
        assert db.session.scalars(select(Decision).where(Decision.item_id == item_id)).all()[-1].id == decision_id
        delivery = db.session.scalar(select(WebhookDelivery))
        body = json.loads(delivery.body)
    assert (delivery.event_type, delivery.event_key) == ("appeal.decided", f"appeal:{appeal_id}:decided")
    assert body["data"]["appeal"]["outcome"] == "uphold"
    assert body["data"]["appealed_decision_reversed"] is False and body["data"]["decision"] is None
    assert actions(app, "appeal.") == ["appeal.received", "appeal.decided"]
    assert "decision.reversed" not in actions(app, "decision.")
    status = api.get(f"/appeals/{appeal_id}").get_json()
    assert (status["status"], status["outcome"], status["restore_decision_id"]) == ("decided", "uphold", None)
    assert status["reply"] == "The post insults a person."


def test_overturn_restores_visibility_reverses_the_decision_and_is_delivered(app, api):
    senior = staff(app, "senior-2")
    appeal_id, decision_id, item_id = _appeal(app, api)  # an automated decision
    with app.app_context():
        result = decide_appeal(db.session, appeal_id, senior, "overturn", reply="It was satire; restored.")
        restore = db.session.get(Decision, result.restore_decision.id)
        assert (restore.visibility, restore.territorial_scope, restore.automated) == ("visible", None, False)
        assert restore.outcome == "restore" and restore.decided_by_user_id == senior.id
        assert restore.actions[0]["appeal_id"] == appeal_id
        assert restore.actions[0]["reverses_decision_id"] == decision_id
        reversal = db.session.get(DecisionReversal, decision_id)
        assert (reversal.reversed_by_decision_id, reversal.appeal_id) == (restore.id, appeal_id)
        appeal = db.session.get(Appeal, appeal_id)
        assert appeal.outcome == "overturn" and appeal.outcome_decision_id == restore.id
        case = db.session.get(Case, appeal.case_id)
        assert case.status == "closed" and case.closed_by_decision_id == restore.id
        delivery = db.session.scalar(select(WebhookDelivery).where(WebhookDelivery.event_type == "appeal.decided"))
        body = json.loads(delivery.body)
    assert body["item"]["id"] == item_id
    assert body["data"]["appealed_decision_reversed"] is True
    assert body["data"]["decision"]["visibility"] == "visible"
    assert body["data"]["decision"]["decision_id"] == restore.id
    assert body["data"]["decision"]["reverses_decision_id"] == decision_id
    assert {"decision.reversed", "decision.restored"} <= set(actions(app, "decision."))
    assert actions(app, "appeal.")[-1] == "appeal.decided" and actions(app, "case.")[-1] == "case.closed"
    status = api.get(f"/appeals/{appeal_id}").get_json()
    assert (status["outcome"], status["restore_decision_id"]) == ("overturn", restore.id)
    # A reversed decision and the decision taken on appeal cannot be appealed again.
    again = api.post_json("/appeals", appeal_body("again", decision_id=decision_id))
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "not_appealable"
    restore_appeal = api.post_json("/appeals", appeal_body("again-2", decision_id=restore.id))
    assert restore_appeal.status_code == 409


def test_an_appeal_is_decided_once(app, api):
    first, second = staff(app, "senior-a"), staff(app, "senior-b")
    appeal_id, _, _ = _appeal(app, api)
    with app.app_context():
        decide_appeal(db.session, appeal_id, first, "overturn", reply="Restored.")
        with pytest.raises(AppealAlreadyDecided):
            decide_appeal(db.session, appeal_id, second, "uphold", reply="No.")
        assert db.session.get(Appeal, appeal_id).outcome == "overturn"
    assert count(app, DecisionReversal) == 1 and count(app, WebhookDelivery) == 1


def test_an_appeal_another_senior_has_claimed_is_refused(app, api):
    from workbench.services.appeals.complaints import AppealClaimedByOther
    from workbench.services.review.claims import claim_next

    holder, other = staff(app, "senior-holder"), staff(app, "senior-other")
    appeal_id, _, _ = _appeal(app, api)
    with app.app_context():
        case = claim_next(db.session, holder, queue="appeals", settings=workbench_settings.current())
        assert case is not None and case.id == db.session.get(Appeal, appeal_id).case_id
        with pytest.raises(AppealClaimedByOther):
            decide_appeal(db.session, appeal_id, other, "uphold", reply="No.")
        decide_appeal(db.session, appeal_id, holder, "uphold", reply="No.")
        assert db.session.get(Appeal, appeal_id).outcome == "uphold"


def test_plain_moderators_are_never_handed_appeal_cases(app, api):
    from workbench.services.review.claims import claim_next

    _appeal(app, api)
    with app.app_context():
        assert claim_next(db.session, staff(app, "mod-x", "moderator"), settings=workbench_settings.current()) is None

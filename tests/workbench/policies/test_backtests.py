"""Backtests: a draft against stored items, compared with the published version, as a real job."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from tests.support.auth import csrf_token_from
from tests.support.factories import TEST_ACTOR
from tests.support.policies import rows, stored_item
from workbench.extensions import db
from workbench.models import Backtest, PolicyDraft
from workbench.models.base import utcnow
from workbench.services.policy import packs as policy_packs


def make_draft(app, jurisdiction: str, edit) -> int:
    with app.app_context():
        policy_packs.ensure_default_packs(db.session)
        pack = policy_packs.get_pack(db.session, jurisdiction)
        draft = policy_packs.create_draft(db.session, pack, TEST_ACTOR)
        saved = policy_packs.save_draft(db.session, draft, edit(draft.text), TEST_ACTOR)
        assert saved.report.valid, saved.report.issues
        return draft.id


NEW_RULE = """
  - id: global.severe-toxicity.remove
    description: Remove the most severely toxic text outright.
    condition:
      signal: "severe_toxicity >= 0.99"
    outcome: remove
    legal:
      decision_ground: DECISION_GROUND_INCOMPATIBLE_CONTENT
      incompatible_content_ground: "Community Guidelines, section 5: harassment and bullying"
      category: STATEMENT_CATEGORY_CYBER_VIOLENCE
"""


def global_draft(text: str) -> str:
    text = text.replace('signal: "threat >= 0.8"', 'signal: "threat >= 0.6"')
    start = text.index("  - id: global.copyright.hash-match")
    end = text.index("  # --- Text classifiers")
    return text[:start] + text[end:] + NEW_RULE


def start_from_the_editor(client, auth, jurisdiction: str, draft_id: int, **fields):
    auth.login("policy_editor")
    page = client.get(f"/policies/{jurisdiction}/drafts/{draft_id}")
    token = csrf_token_from(page.get_data(as_text=True))
    return client.post(f"/policies/{jurisdiction}/drafts/{draft_id}/backtests", data={"csrf_token": token, **fields})


def test_a_draft_backtest_reports_what_changes(app, auth, client, run_worker):
    draft_id = make_draft(app, "GLOBAL", global_draft)
    newly_queued = stored_item(app, "FR", signals={"threat": 0.7})
    still_queued = stored_item(app, "FR", signals={"threat": 0.9})
    copyright = stored_item(app, "FR", kind="image", matches=["copyright"])
    newly_removed = stored_item(app, "FR", signals={"severe_toxicity": 0.995})
    stored_item(app, "FR", signals={"toxicity": 0.1})

    response = start_from_the_editor(client, auth, "GLOBAL", draft_id, scope="last_n", last_n="100")
    assert response.status_code == 302
    [backtest] = rows(app, Backtest)
    assert response.headers["Location"].endswith(f"/policies/backtests/{backtest.id}")
    assert backtest.status == "queued" and backtest.baseline_version == 1
    run_worker()  # a real RQ worker on the backtests queue

    [backtest] = rows(app, Backtest)
    assert (backtest.status, backtest.progress_done, backtest.progress_total) == ("done", 5, 5)
    results = backtest.results
    assert results["items"] == 5 and results["changed"]["count"] == 3
    assert sorted(results["changed"]["samples"]) == sorted([newly_queued, copyright, newly_removed])
    by_rule = {row["rule_id"]: row for row in results["rules"]}
    assert (
        by_rule["global.threat"]["status"],
        by_rule["global.threat"]["baseline"],
        by_rule["global.threat"]["draft"],
    ) == ("changed", 1, 2)
    assert (
        by_rule["global.copyright.hash-match"]["status"],
        by_rule["global.copyright.hash-match"]["baseline"],
        by_rule["global.copyright.hash-match"]["draft"],
    ) == ("removed", 1, 0)
    assert (by_rule["global.severe-toxicity.remove"]["status"], by_rule["global.severe-toxicity.remove"]["draft"]) == (
        "added",
        1,
    )
    assert (by_rule["global.severe-toxicity"]["status"], by_rule["global.severe-toxicity"]["draft"]) == ("same", 1)
    moves = {(m["from"], m["to"]): m["samples"] for m in results["queue_moves"]}
    assert moves == {(None, "violence"): [newly_queued], ("rights", None): [copyright]}
    categories = results["categories"]
    assert categories["newly_removed"] == {"count": 1, "samples": [newly_removed]}
    assert categories["newly_actioned"] == {"count": 1, "samples": [newly_queued]}
    assert categories["no_longer_actioned"] == {"count": 1, "samples": [copyright]}
    assert categories["no_longer_removed"]["count"] == 0
    assert still_queued not in results["changed"]["samples"]

    page = client.get(f"/policies/backtests/{backtest.id}").get_data(as_text=True)
    assert f"/policies/test?item_id={newly_removed}&amp;draft={draft_id}" in page  # samples to click through
    assert "global.severe-toxicity.remove" in page
    progress = client.get(f"/policies/backtests/{backtest.id}/progress").get_json()
    assert progress == {"id": backtest.id, "status": "done", "done": 5, "total": 5, "percent": 100, "error": None}


def test_a_country_draft_only_compares_items_it_applies_to_in_the_time_range(app, auth, client, run_worker):
    draft_id = make_draft(
        app, "DE", lambda text: text.replace('signal: "identity_attack >= 0.8"', 'signal: "identity_attack >= 0.5"')
    )
    now = utcnow()
    old = now - timedelta(days=10)
    hate = [("user", "illegal_hate_speech")]
    low = {"identity_attack": 0.6}
    # Uploaded in France, shown in Germany: the DE pack applies.
    in_range = stored_item(app, "FR", signals=low, reports=hate, created_at=old, visible_in=["DE"])
    stored_item(app, "DE", signals={"identity_attack": 0.9}, reports=hate, created_at=old, visible_in=["DE"])
    stored_item(app, "DE", signals=low, reports=hate, created_at=old, visible_in=["FR"])  # not shown in DE
    stored_item(app, "DE", signals=low, reports=hate, created_at=now, visible_in=["DE"])  # after the range
    day = old.date()
    response = start_from_the_editor(
        client, auth, "DE", draft_id, scope="range", since=day.isoformat(), until=(day + timedelta(days=1)).isoformat()
    )
    assert response.status_code == 302
    run_worker()
    [backtest] = rows(app, Backtest)
    results = backtest.results
    assert backtest.status == "done" and results["items"] == 2 and backtest.progress_total == 3
    assert results["changed"]["samples"] == [in_range]
    assert {(m["from"], m["to"]) for m in results["queue_moves"]} == {("dsa_notices", "de_notices")}
    assert results["categories"]["geo_restriction_changed"]["samples"] == [in_range]
    assert [(row["reason"], row["count"]) for row in results["applied_because"]] == [("visible in DE", 2)]
    page = client.get(f"/policies/backtests/{backtest.id}").get_data(as_text=True)
    assert '<table id="applied-because">' in page and "<td>visible in DE</td><td>2</td>" in page
    assert results["other_versions"] == {"AU": 1, "EU": 1, "GB": 1, "GLOBAL": 1, "IN": 1, "US": 1}


def test_an_invalid_draft_is_not_backtested(app, auth, client):
    with app.app_context():
        policy_packs.ensure_default_packs(db.session)
        pack = policy_packs.get_pack(db.session, "DE")
        draft = policy_packs.create_draft(db.session, pack, TEST_ACTOR)
        policy_packs.save_draft(db.session, draft, draft.text.replace("outcome:", "outcome_typo:", 1), TEST_ACTOR)
        draft_id = draft.id
    response = start_from_the_editor(client, auth, "DE", draft_id, scope="last_n", last_n="10")
    assert response.status_code == 422
    assert "fix them before a backtest" in response.get_data(as_text=True)
    assert rows(app, Backtest) == []


def test_running_a_finished_backtest_again_changes_nothing(app):
    from workbench.services.policy.backtests import BacktestRequest, request_backtest, run_backtest

    draft_id = make_draft(app, "GLOBAL", global_draft)
    stored_item(app, "US", signals={"threat": 0.7})
    with app.app_context():
        draft = db.session.get(PolicyDraft, draft_id)
        backtest_id = request_backtest(db.session, draft, TEST_ACTOR, BacktestRequest(last_n=10)).id
        first = run_backtest(db.session, backtest_id, establishments=(), chunk_size=1)
        results, finished = first.results, first.finished_at
        again = run_backtest(db.session, backtest_id, establishments=())
        assert (again.results, again.finished_at) == (results, finished)
        assert results["items"] == 1 and results["categories"]["newly_actioned"]["count"] == 1
        assert db.session.scalar(select(Backtest.progress_done).where(Backtest.id == backtest_id)) == 1

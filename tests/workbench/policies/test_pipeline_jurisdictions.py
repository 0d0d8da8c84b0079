"""Region-specific rules through the real pipeline, one row per jurisdiction.

Items and reports go in through the API, a real RQ worker runs the stages (the real hash
stage matches a known image against a bank; classifier scores are inserted as the classify
stage would store them), and the stored cases and decisions are checked.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.support.factories import image_bytes, text_item
from tests.support.policies import add_signals, known_image, report, rows
from workbench.extensions import db
from workbench.models import AuditEvent, Case, Decision, Item, PolicyEvaluation, Report, RuleHit

EU_EEA = [
    "AT",
    "BE",
    "BG",
    "CY",
    "CZ",
    "DE",
    "DK",
    "EE",
    "ES",
    "FI",
    "FR",
    "GR",
    "HR",
    "HU",
    "IE",
    "IS",
    "IT",
    "LI",
    "LT",
    "LU",
    "LV",
    "MT",
    "NL",
    "NO",
    "PL",
    "PT",
    "RO",
    "SE",
    "SI",
    "SK",
]


def submit(app, api, name: str, country: str, *, bank_kind=None, signals=None, reports=()) -> int:
    if bank_kind:
        seed = int(hashlib.sha256(name.encode()).hexdigest()[:6], 16)
        data = image_bytes("PNG", color=(seed % 256, (seed >> 8) % 256, (seed >> 16) % 256))
        known_image(app, data, bank_kind)
        response = api.post_image(data, external_id=name, author_id="u1", country=country)
    else:
        response = api.post_json("/items", text_item(name, country=country, text=f"text of {name}"))
    assert response.status_code == 201, response.get_json()
    item_id = response.get_json()["id"]
    add_signals(app, item_id, signals or {})
    for index, (source, category) in enumerate(reports):
        report(api, item_id, source, category, external_id=f"{name}-report-{index}")
    return item_id


# id, country, facts, expected case (queue, priority, hours, jurisdiction, rule), geo-restricted in,
# expected automated decision (outcome, jurisdiction, rule, territorial scope) or None.
JURISDICTIONS = [
    (
        "DE manifestly unlawful hash match",
        "DE",
        {"bank_kind": "terrorism"},
        ("netzdg", "high", 24, "DE", "de.netzdg.manifest-terrorism-hash"),
        ["DE"],
        ("geo_restrict", "DE", "de.netzdg.manifest-terrorism-hash", ["DE"]),
    ),
    (
        "FR same match: not the DE pack",
        "FR",
        {"bank_kind": "terrorism"},
        ("violent_extremism", "high", 48, "GLOBAL", "global.terrorism.hash-match"),
        [],
        None,
    ),
    (
        "DE reported hate speech",
        "DE",
        {"signals": {"identity_attack": 0.93}, "reports": [("user", "illegal_hate_speech")]},
        ("netzdg", "high", 24, "DE", "de.netzdg.manifest-hate-speech"),
        ["DE"],
        ("geo_restrict", "DE", "de.netzdg.manifest-hate-speech", ["DE"]),
    ),
    (
        "DE terrorist content removal order",
        "DE",
        {"reports": [("authority_order", "terrorism")]},
        ("tco_orders", "critical", 1, "EU", "eu.tco.removal-order"),
        EU_EEA,
        ("geo_restrict", "EU", "eu.tco.removal-order", EU_EEA),
    ),
    (
        "GB reported hate speech",
        "GB",
        {"signals": {"identity_attack": 0.95}, "reports": [("user", "illegal_hate_speech")]},
        ("gb_osa_illegal", "high", 24, "GB", "gb.osa.priority-illegal-report"),
        ["GB"],
        ("geo_restrict", "GB", "gb.osa.stirring-up-hatred", ["GB"]),
    ),
    (
        "IN intimate image complaint",
        "IN",
        {"signals": {"exposed": 0.7}, "reports": [("user", "ncii")]},
        ("in_ncii", "critical", 24, "IN", "in.it-rules.ncii-complaint"),
        ["IN"],
        ("geo_restrict", "IN", "in.it-rules.ncii-complaint-with-nudity", ["IN"]),
    ),
    (
        "AU eSafety removal notice",
        "AU",
        {"reports": [("authority_order", "other")]},
        ("au_esafety", "high", 24, "AU", "au.osa.esafety-removal-notice"),
        ["AU"],
        ("geo_restrict", "AU", "au.osa.esafety-removal-notice", ["AU"]),
    ),
    (
        "US known CSAM",
        "US",
        {"bank_kind": "csam"},
        ("child_safety", "critical", 4, "GLOBAL", "global.csam.hash-match"),
        [],
        ("remove", "GLOBAL", "global.csam.hash-match", None),
    ),
    (
        "BR threat (GLOBAL only)",
        "BR",
        {"signals": {"threat": 0.85}},
        ("violence", "high", 24, "GLOBAL", "global.threat"),
        [],
        None,
    ),
    ("FR shadow rule only", "FR", {"signals": {"toxicity": 0.97}}, None, [], None),
]


@pytest.mark.parametrize(
    "name,country,facts,expected_case,geo,expected_decision", JURISDICTIONS, ids=[row[0] for row in JURISDICTIONS]
)
def test_jurisdiction_outcomes(app, api, run_worker, name, country, facts, expected_case, geo, expected_decision):
    item_id = submit(app, api, name.replace(" ", "-"), country, **facts)
    run_worker()

    item = rows(app, Item, id=item_id)[0]
    assert item.status == "processed", item.error
    evaluation = rows(app, PolicyEvaluation, item_id=item_id)[-1]
    assert evaluation.plan["geo_restricted_in"] == geo
    cases = rows(app, Case, item_id=item_id)
    decisions = rows(app, Decision, item_id=item_id)

    if expected_case is None:
        assert cases == []
    else:
        queue, priority, hours, jurisdiction, rule_id = expected_case
        [case] = cases
        assert (case.queue, case.priority, case.status) == (queue, priority, "open")
        assert (case.rule_jurisdiction, case.rule_pack_version, case.rule_id) == (jurisdiction, 1, rule_id)
        # The deadline runs from the newest fact: the item, or the report that made it apply.
        with app.app_context():
            latest_report = db.session.scalar(select(func.max(Report.received_at)).where(Report.item_id == item_id))
        assert evaluation.facts_as_of == max(filter(None, [item.created_at, latest_report]))
        assert case.due_at - evaluation.facts_as_of == timedelta(hours=hours)
        assert case.deadline["hours"] == hours
        assert case.jurisdictions == [p["jurisdiction"] for p in evaluation.plan["packs"]]

    if expected_decision is None:
        assert decisions == []
    else:
        outcome, jurisdiction, rule_id, scope = expected_decision
        [decision] = decisions
        assert decision.automated and decision.outcome == outcome
        assert (decision.rule_jurisdiction, decision.rule_pack_version, decision.rule_id) == (jurisdiction, 1, rule_id)
        assert decision.territorial_scope == scope
        assert decision.case_id == cases[0].id
        assert all(a["rule"]["pack_version"] == "1" and a["rule"]["rule_id"] for a in decision.actions)
        if country in EU_EEA:  # the DSA statement of reasons names the same rule and territory
            assert decision.statement_of_reasons["rule"] == decision.rule_ref
            assert decision.statement_of_reasons["territorial_scope"] == scope
        else:
            assert decision.statement_of_reasons is None

    document = api.get(f"/items/{item_id}").get_json()["policy"]
    assert document["evaluation"]["packs"][0] == {"jurisdiction": "GLOBAL", "version": 1}
    assert [c["queue"] for c in document["cases"]] == [c.queue for c in cases]
    assert [d["outcome"] for d in document["decisions"]] == [d.outcome for d in decisions]


def test_de_and_fr_copies_of_one_upload_differ(app, api, run_worker):
    """The same bytes from Germany and from France: blocked in Germany only, reviewed in both."""
    data = image_bytes("PNG", color=(1, 2, 3))
    known_image(app, data, "terrorism", "gifct-like")
    de = api.post_image(data, external_id="copy-de", author_id="u1", country="DE").get_json()["id"]
    fr = api.post_image(data, external_id="copy-fr", author_id="u2", country="FR").get_json()["id"]
    run_worker()
    assert [d.territorial_scope for d in rows(app, Decision, item_id=de)] == [["DE"]]
    assert rows(app, Decision, item_id=fr) == []
    assert rows(app, Case, item_id=de)[0].deadline["hours"] == 24
    assert rows(app, Case, item_id=fr)[0].deadline["hours"] == 48


def test_us_csam_removal_is_reported_to_ncmec_and_names_every_rule(app, api, run_worker):
    item_id = submit(app, api, "csam-us", "US", bank_kind="csam")
    run_worker()
    [decision] = rows(app, Decision, item_id=item_id)
    actions = {(a["action"], a["rule"]["jurisdiction"], a["rule"]["rule_id"]) for a in decision.actions}
    assert ("report_authority", "US", "us.ncmec.csam-hash-match") in actions
    assert ("remove", "US", "us.ncmec.csam-hash-match") in actions
    assert decision.visibility == "removed"
    [case] = rows(app, Case, item_id=item_id)
    assert [e["to"] for e in case.escalations] == ["child-safety-lead"]


def test_a_later_report_tightens_the_open_case_to_the_strictest_deadline(app, api, run_worker):
    item_id = submit(app, api, "tighten", "DE", reports=[("trusted_flagger", "illegal_hate_speech")])
    run_worker()
    [case] = rows(app, Case, item_id=item_id)
    # EU trusted flagger (24 h) beats the DE complaint (7 days) and the GLOBAL trusted-flagger SLA (48 h).
    assert (case.queue, case.priority, case.deadline["hours"]) == ("dsa_trusted_flaggers", "high", 24)
    first_due = case.due_at

    order = report(api, item_id, "authority_order", "terrorism", external_id="tighten-order")
    run_worker()  # the re-evaluation job queued after the report committed
    [case] = rows(app, Case, item_id=item_id)  # still one case: tightened, not duplicated
    assert (case.queue, case.priority, case.rule_id) == ("tco_orders", "critical", "eu.tco.removal-order")
    received = rows(app, Report, id=order["id"])[0].received_at
    assert case.due_at == received + timedelta(hours=1) < first_due
    assert {(e["to"], e["rule"]["rule_id"]) for e in case.escalations} == {
        ("legal", "eu.tco.removal-order"),
        ("legal", "global.reports.authority-order"),
    }
    with app.app_context():
        actions = list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "case", AuditEvent.object_id == str(case.id))
                .order_by(AuditEvent.id)
            )
        )
    assert actions == ["case.opened", "case.tightened"]


def test_a_report_on_a_processed_item_opens_a_case_once(app, api, run_worker):
    from workbench.jobs.policy import reevaluate_item

    item_id = submit(app, api, "late-report", "FR")
    run_worker()
    assert rows(app, Case, item_id=item_id) == []
    filed = report(api, item_id, "user", "scam", external_id="late-1")
    run_worker()
    [case] = rows(app, Case, item_id=item_id)
    assert (case.queue, case.rule_id) == ("dsa_notices", "eu.dsa.illegal-content-notice")
    evaluations = rows(app, PolicyEvaluation, item_id=item_id)
    assert [e.trigger for e in evaluations] == ["pipeline", "report"]

    with app.app_context():  # the job again (a duplicate delivery): nothing new
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        assert reevaluate_item(item_id, filed["id"]) == "routed"
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert len(rows(app, Case, item_id=item_id)) == 1
    assert len(rows(app, PolicyEvaluation, item_id=item_id)) == 2


def test_rerunning_the_policy_and_route_stages_leaves_the_same_rows(app, api, run_worker):
    from workbench.pipeline.policy_stage import run_policy_stage
    from workbench.pipeline.route_stage import run_route_stage

    item_id = submit(app, api, "rerun", "DE", bank_kind="terrorism")
    run_worker()

    def snapshot():
        with app.app_context():
            return [
                db.session.scalar(select(func.count()).select_from(model).where(model.item_id == item_id))
                for model in (PolicyEvaluation, RuleHit, Case, Decision)
            ]

    before = snapshot()
    with app.app_context():
        item = db.session.get(Item, item_id)
        first = run_policy_stage(db.session, item, None)
        route = run_route_stage(db.session, item, None)
        db.session.commit()
    assert before == [1, 2, 1, 1] == snapshot()
    assert route["case"] == "unchanged" and route["decision"] == "unchanged"
    assert first["matched"] == ["GLOBAL@1:global.terrorism.hash-match", "DE@1:de.netzdg.manifest-terrorism-hash"]


def test_shadow_rules_never_act(app, api, run_worker):
    from tests.support.factories import TEST_ACTOR
    from workbench.services.policy.packs import ensure_default_packs, publish_text

    shadow_pack = """
jurisdiction: GLOBAL
version: "x"
rules:
  - id: global.trial.remove
    description: Trial removal of threats.
    mode: shadow
    condition: {signal: "threat >= 0.5"}
    outcome: [remove, {action: queue, queue: trial, priority: critical, sla_hours: 1}, {action: report_authority, authority: NCMEC}]
    legal: {decision_ground: DECISION_GROUND_INCOMPATIBLE_CONTENT, incompatible_content_ground: ToS 3, category: STATEMENT_CATEGORY_VIOLENCE}
"""
    with app.app_context():
        ensure_default_packs(db.session)
        assert publish_text(db.session, "GLOBAL", shadow_pack, TEST_ACTOR, "shadow trial").number == 2
    item_id = submit(app, api, "shadowed", "FR", signals={"threat": 0.99})
    run_worker()
    assert rows(app, Case, item_id=item_id) == [] and rows(app, Decision, item_id=item_id) == []
    [hit] = rows(app, RuleHit, item_id=item_id)
    assert (hit.jurisdiction, hit.pack_version, hit.rule_id, hit.mode) == ("GLOBAL", 2, "global.trial.remove", "shadow")
    plan = rows(app, PolicyEvaluation, item_id=item_id)[0].plan
    assert plan["visibility"] == "visible" and plan["actions"] == [] and plan["queue"] is None
    assert [a["action"] for a in plan["shadow"][0]["would_have"]] == ["remove", "queue", "report_authority"]


def test_a_new_version_applies_to_the_next_item_and_old_cases_keep_their_version(app, api, run_worker):
    from tests.support.factories import TEST_ACTOR
    from workbench.services.policy.packs import current_version, ensure_default_packs, get_pack, publish_text

    first = submit(app, api, "before-v2", "DE", bank_kind="terrorism")
    run_worker()
    with app.app_context():
        ensure_default_packs(db.session)
        text = current_version(db.session, get_pack(db.session, "DE")).text
        publish_text(
            db.session,
            "DE",
            text.replace("queue: netzdg, priority: high}", "queue: netzdg_urgent, priority: critical}"),
            TEST_ACTOR,
            "split",
        )
    second = submit(app, api, "after-v2", "DE", bank_kind="terrorism")
    run_worker()
    [old], [new] = rows(app, Case, item_id=first), rows(app, Case, item_id=second)
    assert (old.queue, old.rule_pack_version) == ("netzdg", 1)
    assert (new.queue, new.priority, new.rule_pack_version) == ("netzdg_urgent", "critical", 2)
    assert rows(app, Decision, item_id=second)[0].rule_pack_version == 2


def test_reevaluate_stale_catches_up_a_report_whose_job_was_lost(app, api, run_worker):
    from workbench.extensions import get_redis

    item_id = submit(app, api, "lost-job", "DE")
    run_worker()
    report(api, item_id, "authority_order", "terrorism", external_id="lost-order")
    with app.app_context():
        get_redis().flushdb()  # Redis lost the re-evaluation job
    run_worker()
    assert rows(app, Case, item_id=item_id) == []
    result = app.test_cli_runner().invoke(args=["policies", "reevaluate-stale"])
    assert result.exit_code == 0 and "1 item(s): {'routed': 1}" in result.output
    assert [c.queue for c in rows(app, Case, item_id=item_id)] == ["tco_orders"]
    again = app.test_cli_runner().invoke(args=["policies", "reevaluate-stale"])
    assert "0 item(s)" in again.output

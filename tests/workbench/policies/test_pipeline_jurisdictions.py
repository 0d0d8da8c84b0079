"""Whose law applies, through the real pipeline: one row per case of issue 18 and one row per
catalogue class with a deadline.

Items and reports go in through the API (with the item's audience, `visible_in`, and the
report's issuer), a real RQ worker runs the stages (the real hash stage matches a known image
against a bank; classifier scores are inserted as the classify stage would store them), and
the stored evaluations, cases and decisions are checked. Each row also names the
jurisdictions that must have applied: the uploader's country decides nothing.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from sqlalchemy import select

from policies import default_catalogue
from tests.support.factories import image_bytes, text_item
from tests.support.policies import add_signals, known_image, report, rows
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import Case, Decision, Item, PolicyEvaluation, Report

EU_EEA = sorted(default_catalogue().get("EU").members)
TCO_ORDER = {"source": "authority_order", "category": "terrorism", "issuing_jurisdiction": "DE", "authority": "BKA"}
ESAFETY = {"source": "authority_order", "category": "other", "issuing_jurisdiction": "AU", "authority": "eSafety"}
IN_COURT = {
    "source": "authority_order",
    "category": "other",
    "issuing_jurisdiction": "IN",
    "authority": "High Court of Delhi",
    "authority_rank": "court",
}


def submit(app, api, name: str, country: str, *, visible_in=None, bank_kind=None, signals=None, reports=()) -> int:
    audience = {"visible_in": visible_in} if visible_in is not None else {}
    if bank_kind:
        seed = int(hashlib.sha256(name.encode()).hexdigest()[:6], 16)
        data = image_bytes("PNG", color=(seed % 256, (seed >> 8) % 256, (seed >> 16) % 256))
        known_image(app, data, bank_kind)
        if visible_in is not None:
            audience["visible_in"] = ",".join(visible_in)
        response = api.post_image(data, external_id=name, author_id="u1", country=country, **audience)
    else:
        response = api.post_json("/items", text_item(name, country=country, text=f"text of {name}", **audience))
    assert response.status_code == 201, response.get_json()
    item_id = response.get_json()["id"]
    add_signals(app, item_id, signals or {})
    for index, spec in enumerate(reports):
        spec = dict(spec)
        report(api, item_id, spec.pop("source"), spec.pop("category"), external_id=f"{name}-report-{index}", **spec)
    return item_id


# name, uploader's country, facts, the jurisdictions that apply, the case (queue, priority, hours,
# rule jurisdiction, rule id, content class whose deadline it is or None), geo-restricted in,
# the automated decision (outcome, rule jurisdiction, rule id, territorial scope) or None.
ISSUE_CASES = [
    (
        "TCO order about a US upload visible in the EU",
        "US",
        {"visible_in": ["DE", "FR", "IT"], "reports": [TCO_ORDER]},
        ["GLOBAL", "EU", "DE"],
        ("tco_orders", "critical", 1, "EU", "eu.tco.removal-order", "EU/terrorist_content_removal_order"),
        EU_EEA,
        ("geo_restrict", "EU", "eu.tco.removal-order", EU_EEA),
    ),
    (
        "eSafety notice about a GB upload visible in AU",
        "GB",
        {"visible_in": ["AU", "NZ"], "reports": [ESAFETY]},
        ["GLOBAL", "AU"],
        ("au_esafety", "high", 24, "AU", "au.osa.esafety-removal-notice", "AU/esafety_removal_notice"),
        ["AU"],
        ("geo_restrict", "AU", "au.osa.esafety-removal-notice", ["AU"]),
    ),
    (
        "IN court order about a US upload",
        "US",
        {"visible_in": ["US"], "reports": [IN_COURT]},
        ["GLOBAL", "IN", "US"],  # visible in the US only; the order brings India's law
        ("in_orders", "critical", 3, "IN", "in.it-rules.government-or-court-order", "IN/government_or_court_order"),
        ["IN"],
        ("geo_restrict", "IN", "in.it-rules.government-or-court-order", ["IN"]),
    ),
    (
        "NCII removal request in the US",
        "FR",
        {"visible_in": ["US"], "reports": [{"source": "user", "category": "ncii"}]},
        ["GLOBAL", "US"],
        ("us_ncii_requests", "critical", 48, "US", "us.take-it-down.ncii-request", "US/ncii_removal_request"),
        [],
        None,
    ),
    (
        "DE notice under DSA Art. 16",
        "BR",
        {"visible_in": ["DE"], "reports": [{"source": "user", "category": "scam", "issuing_jurisdiction": "DE"}]},
        ["GLOBAL", "EU", "DE"],
        ("dsa_notices", "normal", 72, "EU", "eu.dsa.illegal-content-notice", None),  # the queue's SLA, no law's hours
        [],
        None,
    ),
    (
        "DE hate-speech notice blocked in DE under the StGB, not the NetzDG",
        "DE",
        {
            "visible_in": ["DE", "AT"],
            "signals": {"identity_attack": 0.93},
            "reports": [{"source": "user", "category": "illegal_hate_speech"}],
        },
        ["GLOBAL", "EU", "DE"],
        ("de_notices", "high", 24, "DE", "de.dsa.hate-speech-notice", None),
        ["DE"],
        ("geo_restrict", "DE", "de.dsa.hate-speech-notice", ["DE"]),
    ),
    (
        "the same terrorism match: the DE pack only where visible in DE",
        "DE",
        {"visible_in": ["FR"], "bank_kind": "terrorism"},
        ["GLOBAL", "EU"],
        ("violent_extremism", "high", 48, "GLOBAL", "global.terrorism.hash-match", None),
        [],
        None,
    ),
    (
        "visible nowhere but BR: GLOBAL only",
        "BR",
        {"visible_in": ["BR"], "signals": {"threat": 0.85}},
        ["GLOBAL"],
        ("violence", "high", 24, "GLOBAL", "global.threat", None),
        [],
        None,
    ),  # fmt: skip
]

# One row per catalogue class with a deadline: a scenario whose case runs on that class's hours.
CLASS_ROWS = {
    "GLOBAL/platform_urgent": ("BR", {"visible_in": ["BR"], "reports": [{"source": "user", "category": "csam"}]}),
    "GLOBAL/platform_standard": ("BR", {"visible_in": ["BR"], "reports": [{"source": "user", "category": "spam"}] * 3}),
    "EU/terrorist_content_removal_order": ("US", {"visible_in": ["PL"], "reports": [TCO_ORDER]}),
    "GB/intimate_image_report": ("GB", {"visible_in": ["GB"], "reports": [{"source": "user", "category": "ncii"}]}),
    "IN/government_or_court_order": ("GB", {"visible_in": ["GB"], "reports": [IN_COURT]}),
    "IN/ncii_complaint": (
        "IN",
        {"visible_in": ["IN"], "signals": {"exposed": 0.7}, "reports": [{"source": "user", "category": "ncii"}]},
    ),
    "AU/esafety_removal_notice": ("GB", {"visible_in": ["AU"], "reports": [ESAFETY]}),
    "US/ncii_removal_request": ("US", {"visible_in": ["US"], "reports": [{"source": "user", "category": "ncii"}]}),
}


def classes_with_deadlines() -> dict[str, float]:
    catalogue = default_catalogue()
    return {
        f"{code}/{name}": cls.deadline_hours
        for code, entry in catalogue.jurisdictions.items()
        for name, cls in entry.content_classes.items()
        if cls.deadline_hours is not None
    }


def test_every_catalogue_class_with_a_deadline_has_a_row():
    assert sorted(CLASS_ROWS) == sorted(classes_with_deadlines())


def check_case(app, item_id, evaluation, expected_case):
    queue, priority, hours, jurisdiction, rule_id, content_class = expected_case
    [case] = rows(app, Case, item_id=item_id)
    assert (case.queue, case.priority, case.status) == (queue, priority, "open")
    assert (case.rule_jurisdiction, case.rule_id) == (jurisdiction, rule_id)
    assert case.deadline["hours"] == hours
    assert "NetzDG" not in (case.deadline.get("citation") or "")
    if content_class is not None:
        assert case.deadline["source"] == f"content class {content_class}"
    # The clock runs from the receipt of the report that made the deadline's rule apply.
    received = [r.received_at for r in rows(app, Report, item_id=item_id)]
    started = evaluation.deadline_from
    if evaluation.plan["deadline"]["starts"] in ("order_receipt", "notice_receipt", "request_receipt"):
        assert started in received
    assert case.due_at - started == timedelta(hours=hours)
    assert case.jurisdictions == [a["jurisdiction"] for a in evaluation.plan["applied"]]
    return case


@pytest.mark.parametrize(
    "name,country,facts,applied,expected_case,geo,expected_decision", ISSUE_CASES, ids=[r[0] for r in ISSUE_CASES]
)
def test_issue_cases(app, api, run_worker, name, country, facts, applied, expected_case, geo, expected_decision):
    item_id = submit(app, api, name.replace(" ", "-")[:60], country, **facts)
    run_worker()
    [item] = rows(app, Item, id=item_id)
    assert item.status == "processed", item.error
    evaluation = rows(app, PolicyEvaluation, item_id=item_id)[-1]
    assert [a["jurisdiction"] for a in evaluation.plan["applied"]] == applied
    assert all(a["reasons"] for a in evaluation.plan["applied"])
    assert evaluation.plan["geo_restricted_in"] == geo
    case = check_case(app, item_id, evaluation, expected_case)

    decisions = rows(app, Decision, item_id=item_id)
    if expected_decision is None:
        assert decisions == []
    else:
        outcome, jurisdiction, rule_id, scope = expected_decision
        [decision] = decisions
        assert decision.automated and decision.outcome == outcome
        assert (decision.rule_jurisdiction, decision.rule_id) == (jurisdiction, rule_id)
        assert decision.territorial_scope == scope
        assert decision.case_id == case.id
        if "EU" in applied:  # the DSA applies by audience or notice, not by the uploader's country
            assert decision.statement_of_reasons["rule"] == decision.rule_ref
            assert decision.statement_of_reasons["territorial_scope"] == sorted(set(scope) & set(EU_EEA))
        else:
            assert decision.statement_of_reasons is None

    document = api.get(f"/items/{item_id}").get_json()
    assert document["visible_in"] == sorted(facts["visible_in"])
    assert document["policy"]["evaluation"]["applied"] == evaluation.plan["applied"]
    assert [c["jurisdictions"] for c in document["policy"]["cases"]] == [applied]


@pytest.mark.parametrize("content_class", sorted(CLASS_ROWS))
def test_each_deadline_class_through_the_pipeline(app, api, run_worker, content_class):
    country, facts = CLASS_ROWS[content_class]
    item_id = submit(app, api, content_class.replace("/", "-"), country, **facts)
    run_worker()
    evaluation = rows(app, PolicyEvaluation, item_id=item_id)[-1]
    hours = classes_with_deadlines()[content_class]
    jurisdiction = content_class.split("/")[0]
    assert jurisdiction in [a["jurisdiction"] for a in evaluation.plan["applied"]]
    [case] = rows(app, Case, item_id=item_id)
    assert case.deadline["source"] == f"content class {content_class}"
    assert case.deadline["hours"] == hours
    assert case.due_at - evaluation.deadline_from == timedelta(hours=hours)


def test_an_indian_order_below_the_required_rank_is_refused_and_nothing_changes(app, api, run_worker):
    item_id = submit(app, api, "in-low-rank", "US", visible_in=["IN"])
    run_worker()
    before = rows(app, PolicyEvaluation, item_id=item_id)
    response = api.post_json(
        "/reports",
        {
            "item_id": item_id,
            "source": "authority_order",
            "category": "other",
            "issuing_jurisdiction": "IN",
            "authority": "District police",
            "authority_rank": "superintendent_of_police",
        },
    )
    assert response.status_code == 422, response.get_json()
    error = response.get_json()["error"]
    assert (error["code"], error["rule"]) == ("authority_rank_insufficient", "IN.government_or_court_order")
    run_worker()
    assert rows(app, Report, item_id=item_id) == []
    assert rows(app, Case, item_id=item_id) == []
    assert len(rows(app, PolicyEvaluation, item_id=item_id)) == len(before)


def test_the_providers_establishment_applies_its_law_to_every_item(app, api, run_worker):
    from workbench import settings as workbench_settings

    plain = submit(app, api, "csam-not-established", "DE", visible_in=["DE"], bank_kind="csam")
    run_worker()
    workbench_settings.update(app, WORKBENCH_PROVIDER_JURISDICTIONS="US")
    established = submit(app, api, "csam-established", "DE", visible_in=["DE"], bank_kind="csam")
    run_worker()

    def applied(item_id):
        return {
            a["jurisdiction"]: a["reasons"] for a in rows(app, PolicyEvaluation, item_id=item_id)[-1].plan["applied"]
        }

    assert "US" not in applied(plain)
    assert applied(established)["US"] == ["the provider is established in US"]
    [decision] = rows(app, Decision, item_id=established)
    assert ("report_authority", "US") in {(a["action"], a["rule"]["jurisdiction"]) for a in decision.actions}
    assert "US" not in {a["rule"]["jurisdiction"] for a in rows(app, Decision, item_id=plain)[0].actions}


def test_items_stored_before_audiences_are_visible_everywhere(app, api, run_worker):
    item_id = submit(app, api, "no-audience", "BR", reports=[ESAFETY])
    run_worker()
    plan = rows(app, PolicyEvaluation, item_id=item_id)[-1].plan
    reasons = {a["jurisdiction"]: a["reasons"] for a in plan["applied"]}
    assert set(reasons) == set(default_catalogue().jurisdictions)
    assert reasons["DE"] == ["visible everywhere"]
    assert "notice issued in AU (eSafety)" in reasons["AU"]


def test_a_later_order_tightens_the_case_from_the_orders_receipt(app, api, run_worker):
    flagger = {"source": "trusted_flagger", "category": "illegal_hate_speech"}
    item_id = submit(app, api, "tighten", "US", visible_in=["DE"], reports=[flagger])
    run_worker()
    [case] = rows(app, Case, item_id=item_id)
    assert (case.queue, case.deadline["hours"]) == ("dsa_trusted_flaggers", 24)
    first_due = case.due_at

    order = report(api, item_id, external_id="tighten-order", **TCO_ORDER)
    report(api, item_id, "user", "spam", external_id="tighten-later-notice")  # newer, unrelated
    run_worker()  # the re-evaluation jobs queued after the reports committed
    [case] = rows(app, Case, item_id=item_id)  # one case, tightened
    assert (case.queue, case.priority, case.rule_id) == ("tco_orders", "critical", "eu.tco.removal-order")
    received = rows(app, Report, id=order["id"])[0].received_at
    assert case.due_at == received + timedelta(hours=1) < first_due
    evaluation = rows(app, PolicyEvaluation, item_id=item_id)[-1]
    assert evaluation.deadline_from == received < evaluation.facts_as_of


def test_rerunning_the_policy_and_route_stages_leaves_the_same_rows(app, api, run_worker):
    from sqlalchemy import func

    from workbench.models import RuleHit
    from workbench.pipeline.policy_stage import run_policy_stage
    from workbench.pipeline.route_stage import run_route_stage
    from workbench.pipeline.stages import stage_context

    item_id = submit(app, api, "rerun", "US", visible_in=["IN"], reports=[IN_COURT])
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
        ctx = stage_context(app, workbench_settings.of(app))
        run_policy_stage(db.session, item, ctx)
        route = run_route_stage(db.session, item, ctx)
        db.session.commit()
    assert before == snapshot() and before[2:] == [1, 1]
    assert route["case"] == "unchanged" and route["decision"] == "unchanged"


def test_us_csam_removal_is_reported_to_ncmec_and_names_every_rule(app, api, run_worker):
    item_id = submit(app, api, "csam-us", "US", visible_in=["US"], bank_kind="csam")
    run_worker()
    [decision] = rows(app, Decision, item_id=item_id)
    actions = {(a["action"], a["rule"]["jurisdiction"], a["rule"]["rule_id"]) for a in decision.actions}
    assert ("report_authority", "US", "us.ncmec.csam-hash-match") in actions
    assert decision.visibility == "removed"
    [case] = rows(app, Case, item_id=item_id)
    assert [e["to"] for e in case.escalations] == ["child-safety-lead"]


def test_a_report_on_a_processed_item_opens_a_case_once(app, api, run_worker):
    from sqlalchemy import func

    from workbench.jobs.policy import reevaluate_item
    from workbench.models import AuditEvent

    item_id = submit(app, api, "late-report", "FR", visible_in=["FR"])
    run_worker()
    assert rows(app, Case, item_id=item_id) == []
    filed = report(api, item_id, "user", "scam", external_id="late-1")
    run_worker()
    [case] = rows(app, Case, item_id=item_id)
    assert (case.queue, case.rule_id) == ("dsa_notices", "eu.dsa.illegal-content-notice")
    assert [e.trigger for e in rows(app, PolicyEvaluation, item_id=item_id)] == ["pipeline", "report"]

    with app.app_context():  # the job again (a duplicate delivery): nothing new
        events = db.session.scalar(select(func.count()).select_from(AuditEvent))
        assert reevaluate_item(item_id, filed["id"]) == "routed"
        assert db.session.scalar(select(func.count()).select_from(AuditEvent)) == events
    assert len(rows(app, Case, item_id=item_id)) == 1
    assert len(rows(app, PolicyEvaluation, item_id=item_id)) == 2


def test_shadow_rules_never_act(app, api, run_worker):
    from tests.support.factories import TEST_ACTOR
    from workbench.models import RuleHit
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
    item_id = submit(app, api, "shadowed", "FR", visible_in=["FR"], signals={"threat": 0.99})
    run_worker()
    assert rows(app, Case, item_id=item_id) == [] and rows(app, Decision, item_id=item_id) == []
    [hit] = rows(app, RuleHit, item_id=item_id)
    assert (hit.jurisdiction, hit.pack_version, hit.rule_id, hit.mode) == ("GLOBAL", 2, "global.trial.remove", "shadow")
    plan = rows(app, PolicyEvaluation, item_id=item_id)[0].plan
    assert plan["visibility"] == "visible" and plan["actions"] == [] and plan["queue"] is None


def test_a_new_version_applies_to_the_next_item_and_old_cases_keep_their_version(app, api, run_worker):
    from tests.support.factories import TEST_ACTOR
    from workbench.services.policy.packs import current_version, ensure_default_packs, get_pack, publish_text

    first = submit(app, api, "before-v2", "FR", visible_in=["DE"], bank_kind="terrorism")
    run_worker()
    with app.app_context():
        ensure_default_packs(db.session)
        text = current_version(db.session, get_pack(db.session, "DE")).text
        assert "queue: de_notices, priority: high," in text
        new_text = text.replace("queue: de_notices, priority: high,", "queue: de_urgent, priority: critical,")
        publish_text(db.session, "DE", new_text, TEST_ACTOR, "split")
    second = submit(app, api, "after-v2", "FR", visible_in=["DE"], bank_kind="terrorism")
    run_worker()
    [old], [new] = rows(app, Case, item_id=first), rows(app, Case, item_id=second)
    assert (old.queue, old.rule_pack_version) == ("de_notices", 1)
    assert (new.queue, new.priority, new.rule_pack_version) == ("de_urgent", "critical", 2)
    assert rows(app, Decision, item_id=second)[0].rule_pack_version == 2


def test_reevaluate_stale_catches_up_a_report_whose_job_was_lost(app, api, run_worker):
    from workbench.extensions import get_redis

    item_id = submit(app, api, "lost-job", "US", visible_in=["DE"])
    run_worker()
    report(api, item_id, external_id="lost-order", **TCO_ORDER)
    with app.app_context():
        get_redis().flushdb()  # Redis lost the re-evaluation job
    run_worker()
    assert rows(app, Case, item_id=item_id) == []
    result = app.test_cli_runner().invoke(args=["policies", "reevaluate-stale"])
    assert result.exit_code == 0 and "1 item(s): {'routed': 1}" in result.output
    assert [c.queue for c in rows(app, Case, item_id=item_id)] == ["tco_orders"]
    again = app.test_cli_runner().invoke(args=["policies", "reevaluate-stale"])
    assert "0 item(s)" in again.output


def test_the_plans_holds_count_from_the_removal_once_it_is_decided(app, api, run_worker):
    from workbench.models import EvidenceHold

    removed = submit(app, api, "tco-hold", "US", visible_in=["DE"], reports=[TCO_ORDER])
    pending = submit(app, api, "ncii-hold", "US", visible_in=["IN"], reports=[{"source": "user", "category": "ncii"}])
    run_worker()
    [decision] = rows(app, Decision, item_id=removed)
    [hold] = rows(app, EvidenceHold, item_id=removed)
    assert (hold.jurisdiction, hold.content_class, hold.origin) == (
        "EU",
        "terrorist_content_removal_order",
        "catalogue",
    )
    assert (hold.starts_from, hold.provisional, hold.starts_at) == ("removal", False, decision.decided_at)
    assert (
        hold.ends_at.date()
        == default_catalogue().hold_rule("EU", "terrorist_content_removal_order").ends(decision.decided_at).date()
    )
    # No removal yet (a case waits for a person): held from the item's arrival until it is decided.
    assert rows(app, Decision, item_id=pending) == []
    [held] = rows(app, EvidenceHold, item_id=pending)
    [item] = rows(app, Item, id=pending)
    assert (held.jurisdiction, held.content_class, held.provisional) == ("IN", "ncii_complaint", True)
    assert held.starts_at == item.created_at


def test_open_items_move_to_the_new_model_by_a_reevaluation_after_publishing(app, api, run_worker):
    """An item evaluated before audiences (uploaded in FR, shown in DE; its stored plan has no
    `applied`, its case the uploader's jurisdictions) keeps routing as it was until the policy
    team re-evaluates open items under the packs in force."""
    scam = {"source": "user", "category": "scam"}
    item_id = submit(app, api, "before-upgrade", "FR", visible_in=["DE"], reports=[scam])
    run_worker()
    [case] = rows(app, Case, item_id=item_id)
    with app.app_context():
        evaluation = db.session.scalars(select(PolicyEvaluation).where(PolicyEvaluation.item_id == item_id)).one()
        evaluation.plan = {k: v for k, v in evaluation.plan.items() if k not in ("applied", "holds")}
        evaluation.fingerprint = "0" * 64  # facts were fingerprinted without audiences and issuers
        db.session.get(Case, case.id).jurisdictions = ["GLOBAL", "EU"]
        db.session.commit()
    result = app.test_cli_runner().invoke(args=["policies", "reevaluate-open"])
    assert result.exit_code == 0, result.output
    assert "1 item(s): {'routed': 1}" in result.output
    [case] = rows(app, Case, item_id=item_id)
    assert case.jurisdictions == ["GLOBAL", "EU", "DE"]
    assert [e.trigger for e in rows(app, PolicyEvaluation, item_id=item_id)] == ["pipeline", "publish"]

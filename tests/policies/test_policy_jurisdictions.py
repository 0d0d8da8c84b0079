"""Table-driven decisions of the default packs, per jurisdiction."""

import pytest

from policies import ItemFacts, PolicySet


@pytest.fixture(scope="module")
def policies():
    return PolicySet.defaults()


HATE_REPORT = dict(kind="text", signals={"identity_attack": 0.92}, reports=[("user", "illegal_hate_speech")])
TERROR_HASH = dict(kind="video", hash_matches=[("pdq", "gifct-demo", "terrorism", 12)])
TCO_ORDER = dict(kind="video", reports=[("authority_order", "terrorism", "FR", "OCLCTIC")])
IN_ORDER = dict(kind="image", reports=[("authority_order", "defamation", "IN", "MeitY", "joint_secretary")])
AU_NOTICE = dict(kind="image", reports=[("authority_order", "other", "AU", "eSafety Commissioner")])
BR_ORDER = dict(kind="image", reports=[("authority_order", "defamation", "BR", "STF")])
NCII_REPORT = dict(kind="image", reports=[("user", "ncii")], signals={"exposed": 0.7})
CSAM_HASH = dict(kind="image", hash_matches=[("pdq", "ncmec-demo", "csam", 3)])

# (case, visible_in, facts, visibility, geo_restricted_in, deadline_hours, deadline_rule)
CASES = [
    ("hate speech visible in DE", ["DE"], HATE_REPORT, "geo_restricted", ("DE",), 24, "de.dsa.hate-speech-notice"),
    ("same hate speech visible in FR", ["FR"], HATE_REPORT, "visible", (), 72, None),
    ("same hate speech visible in US", ["US"], HATE_REPORT, "visible", (), 72, "global.identity-attack"),
    ("terrorism hash visible in DE", ["DE"], TERROR_HASH, "geo_restricted", ("DE",), 24, "de.stgb.terrorism-hash"),
    ("terrorism hash visible in FR", ["FR"], TERROR_HASH, "visible", (), 48, "global.terrorism.hash-match"),
    ("TCO order, visible in FR", ["FR"], TCO_ORDER, "geo_restricted", None, 1, "eu.tco.removal-order"),
    (
        "TCO order beats the German hash rule",
        ["DE"],
        {**TCO_ORDER, "hash_matches": TERROR_HASH["hash_matches"]},
        "geo_restricted",
        None,
        1,
        "eu.tco.removal-order",
    ),
    ("TCO order, visible only in US", ["US"], TCO_ORDER, "geo_restricted", None, 1, "eu.tco.removal-order"),
    ("order issued in IN", ["IN"], IN_ORDER, "geo_restricted", ("IN",), 3, "in.it-rules.government-or-court-order"),
    ("order issued in IN, shown elsewhere", ["US"], IN_ORDER, "geo_restricted", ("IN",), 3, None),
    ("NCII complaint visible in IN", ["IN"], NCII_REPORT, "geo_restricted", ("IN",), 2, "in.it-rules.ncii-complaint"),
    ("eSafety notice", ["AU"], AU_NOTICE, "geo_restricted", ("AU",), 24, "au.osa.esafety-removal-notice"),
    ("order from a country without a pack", ["BR"], BR_ORDER, "visible", (), 48, "global.reports.authority-order"),
    ("order issued in IN does not fire AU", ["AU"], IN_ORDER, "geo_restricted", ("IN",), 3, None),
    (
        "hate speech in GB",
        ["GB"],
        {**HATE_REPORT, "signals": {"identity_attack": 0.95}},
        "geo_restricted",
        ("GB",),
        24,
        None,
    ),
    ("CSAM hash in US", ["US"], CSAM_HASH, "removed", (), 4, "global.csam.hash-match"),
    (
        "nothing wrong, visible everywhere",
        None,
        dict(kind="text", signals={"toxicity": 0.1}),
        "visible",
        (),
        None,
        None,
    ),
]


@pytest.mark.parametrize("case,visible_in,facts,visibility,restricted,hours,rule_id", CASES, ids=[c[0] for c in CASES])
def test_default_pack_decisions(policies, case, visible_in, facts, visibility, restricted, hours, rule_id):
    plan = policies.decide(ItemFacts(country="BR", visible_in=visible_in, **facts))
    assert plan.visibility == visibility
    if restricted is not None:
        assert plan.geo_restricted_in == restricted
    assert (plan.deadline.hours if plan.deadline else None) == hours
    if rule_id:
        assert plan.deadline_rule.rule_id == rule_id


def test_tco_order_restricts_in_all_eu_eea_countries(policies):
    plan = policies.decide(ItemFacts(country="US", visible_in=["FR"], **TCO_ORDER))
    assert len(plan.geo_restricted_in) == 30
    assert {"DE", "FR", "GR", "NO"} <= set(plan.geo_restricted_in)
    assert "US" not in plan.geo_restricted_in


def test_de_notice_runs_on_the_platform_sla_under_dsa_art_16(policies):
    plan = policies.decide(ItemFacts(country="DE", visible_in=["DE"], **HATE_REPORT))
    assert plan.deadline.source == "queue de_notices SLA" and plan.deadline.citation is None
    assert plan.queue.queue == "de_notices" and plan.queue.deadline_hours == 24


def test_statement_of_reasons_only_in_eu_and_scoped_to_restriction(policies):
    de = policies.decide(ItemFacts(country="DE", visible_in=["DE"], content_date="2025-02-03", **HATE_REPORT))
    sor = de.statement_of_reasons
    assert sor["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert sor["territorial_scope"] == ["DE"]
    assert sor["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_DISABLED"]
    assert sor["content_type"] == ["CONTENT_TYPE_TEXT"]
    assert sor["rule"] == {"jurisdiction": "DE", "pack_version": "2.0.0", "rule_id": "de.dsa.hate-speech-notice"}
    assert "NetzDG" not in sor["illegal_content_legal_ground"]
    in_plan = policies.decide(ItemFacts(country="IN", **IN_ORDER))  # visible everywhere, restricted in IN only
    assert in_plan.visibility == "geo_restricted" and in_plan.statement_of_reasons is None


def test_csam_visible_in_us_reports_to_ncmec_and_holds_a_year_from_the_report(policies):
    plan = policies.decide(ItemFacts(country="DE", visible_in=["US"], **CSAM_HASH))
    assert [a.action.get("authority") for a in plan.authority_reports] == ["NCMEC"]
    assert plan.authority_reports[0].rule.jurisdiction == "US"
    retention, rule = plan.evidence_retention
    assert retention.period == "P1Y" and rule.rule_id == "us.ncmec.csam-hash-match"
    (hold,) = plan.holds
    assert (hold.jurisdiction, hold.hold.period, hold.hold.starts) == ("US", "P1Y", "authority_report")
    assert plan.queue.priority == "critical"


def test_csam_not_visible_in_us_is_removed_but_not_reported_by_the_us_pack(policies):
    plan = policies.decide(ItemFacts(country="US", visible_in=["DE"], **CSAM_HASH))
    assert plan.visibility == "removed"
    assert plan.authority_reports == () and plan.holds == ()


def test_gb_csea_reporting_is_shadow_only(policies):
    plan = policies.decide(ItemFacts(country="GB", visible_in=["GB"], **CSAM_HASH))
    assert plan.authority_reports == ()
    assert [s.rule.rule_id for s in plan.shadow] == ["gb.osa.csea-report-nca"]
    assert plan.shadow[0].would_have[0].get("authority") == "NCA"


VERSIONS = {"GLOBAL": "1.1.0", "EU": "2.0.0", "DE": "2.0.0", "GB": "2.0.0", "IN": "2.0.0", "AU": "2.0.0", "US": "2.0.0"}


@pytest.mark.parametrize("visible_in", [["DE"], ["FR"], ["GB"], ["IN"], ["AU"], ["US"], ["BR"], None])
def test_every_decision_names_pack_version_and_rule(policies, visible_in):
    facts = ItemFacts(
        country="BR",
        visible_in=visible_in,
        kind="image",
        signals={"identity_attack": 0.95, "exposed": 0.9, "toxicity": 0.99, "profanity": 0.95},
        hash_matches=[("pdq", "b", "terrorism", 5), ("pdq", "c", "csam", 2)],
        reports=[("user", "illegal_hate_speech"), ("authority_order", "terrorism"), ("user", "ncii")],
    )
    plan = policies.decide(facts)
    assert plan.actions, "this item should trigger something everywhere"
    applied = dict(plan.packs)
    for planned in plan.actions + plan.shadow:
        rule = planned.rule
        assert rule.jurisdiction in applied
        assert rule.pack_version == applied[rule.jurisdiction] == VERSIONS[rule.jurisdiction]
        assert policies.packs[rule.jurisdiction].rule(rule.rule_id)
    data = plan.to_dict()
    assert all(a["rule"]["rule_id"] and a["rule"]["pack_version"] for a in data["actions"])
    if plan.deadline:
        assert data["deadline"]["rule"]["rule_id"]


def test_shadow_rules_never_act(policies):
    # Matches only shadow rules: the profanity label and toxicity demotion trials.
    facts = ItemFacts(country="DE", kind="text", signals={"profanity": 0.99, "toxicity": 0.99})  # visible everywhere
    plan = policies.decide(facts)
    assert {s.rule.rule_id for s in plan.shadow} == {"global.profanity.label-trial", "global.toxicity.demote-trial"}
    assert plan.actions == () and not plan.acts
    assert plan.visibility == "visible" and plan.deadline is None and plan.queue is None
    assert plan.statement_of_reasons is None
    assert {a.name for s in plan.shadow for a in s.would_have} == {"label", "demote"}

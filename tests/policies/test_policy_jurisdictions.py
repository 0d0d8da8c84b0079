"""Table-driven decisions of the default packs, per jurisdiction."""

import pytest

from policies import ItemFacts, PolicySet


@pytest.fixture(scope="module")
def policies():
    return PolicySet.defaults()


HATE_REPORT = dict(kind="text", signals={"identity_attack": 0.92}, reports=[("user", "illegal_hate_speech")])
TERROR_HASH = dict(kind="video", hash_matches=[("pdq", "gifct-demo", "terrorism", 12)])
TCO_ORDER = dict(kind="video", reports=[("authority_order", "terrorism")])
AUTHORITY_ORDER = dict(kind="image", reports=[("authority_order", "defamation")])
NCII_REPORT = dict(kind="image", reports=[("user", "ncii")], signals={"exposed": 0.7})
CSAM_HASH = dict(kind="image", hash_matches=[("pdq", "ncmec-demo", "csam", 3)])

# (case, country, facts, visibility, geo_restricted_in, deadline_hours, deadline_rule)
CASES = [
    ("manifest hate speech in DE", "DE", HATE_REPORT, "geo_restricted", ("DE",), 24, "de.netzdg.manifest-hate-speech"),
    ("same hate speech from FR", "FR", HATE_REPORT, "visible", (), 72, None),
    ("same hate speech from US", "US", HATE_REPORT, "visible", (), 72, "global.identity-attack"),
    ("terrorism hash in DE", "DE", TERROR_HASH, "geo_restricted", ("DE",), 24, "de.netzdg.manifest-terrorism-hash"),
    ("terrorism hash from FR", "FR", TERROR_HASH, "visible", (), 48, "global.terrorism.hash-match"),
    ("TCO removal order in FR", "FR", TCO_ORDER, "geo_restricted", None, 1, "eu.tco.removal-order"),
    (
        "TCO removal order in DE beats NetzDG",
        "DE",
        {**TCO_ORDER, "hash_matches": TERROR_HASH["hash_matches"]},
        "geo_restricted",
        None,
        1,
        "eu.tco.removal-order",
    ),
    (
        "government order in IN",
        "IN",
        AUTHORITY_ORDER,
        "geo_restricted",
        ("IN",),
        36,
        "in.it-rules.government-or-court-order",
    ),
    ("NCII complaint in IN", "IN", NCII_REPORT, "geo_restricted", ("IN",), 24, None),
    ("eSafety notice in AU", "AU", AUTHORITY_ORDER, "geo_restricted", ("AU",), 24, "au.osa.esafety-removal-notice"),
    ("authority order elsewhere", "BR", AUTHORITY_ORDER, "visible", (), 48, "global.reports.authority-order"),
    (
        "hate speech in GB",
        "GB",
        {**HATE_REPORT, "signals": {"identity_attack": 0.95}},
        "geo_restricted",
        ("GB",),
        24,
        None,
    ),
    ("CSAM hash in US", "US", CSAM_HASH, "removed", (), 4, "global.csam.hash-match"),
    ("nothing wrong in DE", "DE", dict(kind="text", signals={"toxicity": 0.1}), "visible", (), None, None),
]


@pytest.mark.parametrize("case,country,facts,visibility,restricted,hours,rule_id", CASES, ids=[c[0] for c in CASES])
def test_default_pack_decisions(policies, case, country, facts, visibility, restricted, hours, rule_id):
    plan = policies.decide(ItemFacts(country=country, **facts))
    assert plan.visibility == visibility
    if restricted is not None:
        assert plan.geo_restricted_in == restricted
    assert (plan.deadline.hours if plan.deadline else None) == hours
    if rule_id:
        assert plan.deadline_rule.rule_id == rule_id


def test_tco_order_restricts_in_all_eu_eea_countries(policies):
    plan = policies.decide(ItemFacts(country="FR", **TCO_ORDER))
    assert len(plan.geo_restricted_in) == 30
    assert {"DE", "FR", "GR", "NO"} <= set(plan.geo_restricted_in)
    assert "US" not in plan.geo_restricted_in


def test_de_deadline_cites_netzdg(policies):
    plan = policies.decide(ItemFacts(country="DE", **HATE_REPORT))
    assert "NetzDG" in plan.deadline.citation
    assert plan.queue.queue == "netzdg" and plan.queue.deadline_hours == 24


def test_statement_of_reasons_only_in_eu_and_scoped_to_restriction(policies):
    de = policies.decide(ItemFacts(country="DE", content_date="2025-02-03", **HATE_REPORT))
    sor = de.statement_of_reasons
    assert sor["decision_ground"] == "DECISION_GROUND_ILLEGAL_CONTENT"
    assert sor["territorial_scope"] == ["DE"]
    assert sor["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_DISABLED"]
    assert sor["content_type"] == ["CONTENT_TYPE_TEXT"]
    assert sor["rule"] == {"jurisdiction": "DE", "pack_version": "1.0.0", "rule_id": "de.netzdg.manifest-hate-speech"}
    in_plan = policies.decide(ItemFacts(country="IN", **AUTHORITY_ORDER))
    assert in_plan.visibility == "geo_restricted" and in_plan.statement_of_reasons is None


def test_csam_in_us_reports_to_ncmec_and_keeps_evidence_a_year(policies):
    plan = policies.decide(ItemFacts(country="US", **CSAM_HASH))
    assert [a.action.get("authority") for a in plan.authority_reports] == ["NCMEC"]
    assert plan.authority_reports[0].rule.jurisdiction == "US"
    retention, rule = plan.evidence_retention
    assert retention.period == "P1Y" and rule.rule_id == "us.ncmec.csam-hash-match"
    assert plan.queue.priority == "critical"


def test_csam_outside_us_is_removed_but_not_reported_by_the_us_pack(policies):
    plan = policies.decide(ItemFacts(country="DE", **CSAM_HASH))
    assert plan.visibility == "removed"
    assert plan.authority_reports == ()


def test_gb_csea_reporting_is_shadow_only(policies):
    plan = policies.decide(ItemFacts(country="GB", **CSAM_HASH))
    assert plan.authority_reports == ()
    assert [s.rule.rule_id for s in plan.shadow] == ["gb.osa.csea-report-nca"]
    assert plan.shadow[0].would_have[0].get("authority") == "NCA"


@pytest.mark.parametrize("country", ["DE", "FR", "GB", "IN", "AU", "US", "BR", None])
def test_every_decision_names_pack_version_and_rule(policies, country):
    facts = ItemFacts(
        country=country,
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
        assert rule.pack_version == applied[rule.jurisdiction] == "1.0.0"
        assert policies.packs[rule.jurisdiction].rule(rule.rule_id)
    data = plan.to_dict()
    assert all(a["rule"]["rule_id"] and a["rule"]["pack_version"] for a in data["actions"])
    if plan.deadline:
        assert data["deadline"]["rule"]["rule_id"]


def test_shadow_rules_never_act(policies):
    # Matches only shadow rules: the profanity label and toxicity demotion trials.
    facts = ItemFacts(country="DE", kind="text", signals={"profanity": 0.99, "toxicity": 0.99})
    plan = policies.decide(facts)
    assert {s.rule.rule_id for s in plan.shadow} == {"global.profanity.label-trial", "global.toxicity.demote-trial"}
    assert plan.actions == () and not plan.acts
    assert plan.visibility == "visible" and plan.deadline is None and plan.queue is None
    assert plan.statement_of_reasons is None
    assert {a.name for s in plan.shadow for a in s.would_have} == {"label", "demote"}

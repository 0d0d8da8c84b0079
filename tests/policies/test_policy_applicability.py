"""Whose law applies: audience, issuer, establishment, each with its reasons (issue 18's cases)."""

import json

import pytest

from policies import ItemFacts, PolicySet, Report, applicable, default_catalogue
from policies.dsa import eu_eea_countries


@pytest.fixture(scope="module")
def policies():
    return PolicySet.defaults()


@pytest.fixture(scope="module")
def catalogue():
    return default_catalogue()


def codes(applied):
    return [a.code for a in applied]


def reasons(applied):
    return {a.code: a.reasons for a in applied}


def test_visible_everywhere_applies_every_jurisdiction(catalogue):
    applied = applicable(catalogue, ItemFacts(kind="text", country="BR"))
    assert codes(applied) == ["GLOBAL", "EU", "DE", "GB", "IN", "AU", "US"]
    assert applied[0].reasons == ("the platform's terms apply everywhere",)
    assert all(a.reasons == ("visible everywhere",) for a in applied[1:])


def test_audience_decides_not_the_uploader(catalogue):
    applied = applicable(catalogue, ItemFacts(kind="text", country="DE", visible_in=["us", "BR"]))
    assert codes(applied) == ["GLOBAL", "US"]  # uploaded in Germany, shown only in the Americas
    assert reasons(applied)["US"] == ("visible in US",)
    nowhere = applicable(catalogue, ItemFacts(kind="text", country="DE", visible_in=[]))
    assert codes(nowhere) == ["GLOBAL"]


def test_a_union_applies_when_visible_in_any_member(catalogue):
    applied = applicable(catalogue, ItemFacts(kind="text", visible_in=["FR", "JP"]))
    assert codes(applied) == ["GLOBAL", "EU"]
    assert reasons(applied)["EU"] == ("visible in FR",)
    many = applicable(catalogue, ItemFacts(kind="text", visible_in=sorted(eu_eea_countries())))
    assert reasons(many)["EU"] == ("visible in 30 EU countries",)
    assert reasons(many)["DE"] == ("visible in DE",)


def test_the_issuer_of_a_notice_applies(catalogue):
    facts = ItemFacts(
        kind="text",
        visible_in=["US"],
        reports=[Report("authority_order", "other", "IN", "MeitY", "joint_secretary"), ("user", "spam")],
    )
    applied = applicable(catalogue, facts)
    assert codes(applied) == ["GLOBAL", "IN", "US"]
    assert reasons(applied)["IN"] == ("notice issued in IN (MeitY)",)
    tco = ItemFacts(
        kind="text",
        visible_in=["US"],
        reports=[{"source": "authority_order", "category": "terrorism", "issuing_jurisdiction": "FR"}],
    )
    assert reasons(applicable(catalogue, tco))["EU"] == ("notice issued in FR, a member of EU",)


def test_the_providers_establishment_applies(catalogue, policies):
    facts = ItemFacts(kind="image", country="FR", visible_in=["FR"])
    assert "US" not in codes(applicable(catalogue, facts))
    applied = applicable(catalogue, facts, frozenset({"US"}))
    assert codes(applied) == ["GLOBAL", "EU", "US"]
    assert reasons(applied)["US"] == ("the provider is established in US",)
    established = PolicySet(policies.packs.values(), establishments=["us"])
    plan = established.decide(ItemFacts(kind="image", visible_in=["FR"], reports=[("user", "csam")]))
    assert "us.ncmec.csam-report" in {r.rule_id for r in plan.matched}
    assert {"jurisdiction": "US", "reasons": ["the provider is established in US"]} in plan.to_dict()["applied"]


def test_applicability_is_memoised_per_audience_issuers_and_establishment(catalogue):
    first = applicable(catalogue, ItemFacts(kind="text", country="DE", visible_in=["DE"], signals={"toxicity": 0.1}))
    again = applicable(catalogue, ItemFacts(kind="image", country="FR", visible_in=["de"]))
    assert again is first  # the uploader, kind and signals do not enter the key
    other = applicable(catalogue, ItemFacts(kind="text", visible_in=["DE"], reports=[("user", "spam", "AU")]))
    assert other is not first and "AU" in codes(other)


def test_older_callers_passing_a_country_still_get_its_packs(policies, catalogue):
    assert [p.jurisdiction for p in policies.applicable_packs("DE")] == ["GLOBAL", "EU", "DE"]
    assert [p.jurisdiction for p in policies.applicable_packs("fr")] == ["GLOBAL", "EU"]
    assert [p.jurisdiction for p in policies.applicable_packs(None)] == ["GLOBAL"]
    assert catalogue.applicable_jurisdictions("DE") == ["GLOBAL", "EU", "DE"]


# --- The cases at the library level. ---


def test_tco_order_about_a_us_upload_visible_in_the_eu(policies):
    facts = ItemFacts(
        kind="video",
        country="US",
        visible_in=["DE", "FR", "US"],
        reports=[Report("authority_order", "terrorism", "DE", "BKA")],
    )
    plan = policies.decide(facts)
    eu = reasons(plan.applied)["EU"]
    assert "visible in DE, FR" in eu and "notice issued in DE (BKA), a member of EU" in eu
    assert plan.deadline.hours == 1 and plan.deadline_rule.rule_id == "eu.tco.removal-order"
    assert plan.deadline.starts == "order_receipt"
    assert plan.visibility == "geo_restricted"
    assert set(plan.geo_restricted_in) == eu_eea_countries()  # the EU only, not the US
    assert [(h.jurisdiction, h.content_class, h.hold.period) for h in plan.holds] == [
        ("EU", "terrorist_content_removal_order", "P6M")
    ]


def test_tco_rule_does_not_fire_on_an_order_from_outside_the_eu(policies):
    facts = ItemFacts(kind="video", visible_in=["FR"], reports=[Report("authority_order", "terrorism", "US", "FBI")])
    plan = policies.decide(facts)
    assert "eu.tco.removal-order" not in {r.rule_id for r in plan.matched}
    assert plan.deadline_rule.rule_id == "global.reports.authority-order"


def test_esafety_notice_about_a_gb_upload_visible_in_au(policies):
    facts = ItemFacts(
        kind="image",
        country="GB",
        visible_in=["AU"],
        reports=[Report("authority_order", "other", "AU", "eSafety Commissioner")],
    )
    plan = policies.decide(facts)
    assert codes(plan.applied) == ["GLOBAL", "AU"]
    assert reasons(plan.applied)["AU"] == ("visible in AU", "notice issued in AU (eSafety Commissioner)")
    assert plan.deadline.hours == 24 and plan.deadline_rule.rule_id == "au.osa.esafety-removal-notice"
    assert plan.geo_restricted_in == ("AU",)


def test_indian_order_from_an_officer_below_rank_is_refused(policies):
    report = Report("authority_order", "other", "IN", "State IT department", "deputy_secretary")
    problem = policies.catalogue.check_authority(report)
    assert problem.code == "authority_rank_insufficient"
    assert problem.rule == "IN.government_or_court_order"


def test_indian_court_order_is_three_hours(policies):
    facts = ItemFacts(
        kind="text", country="US", reports=[Report("authority_order", "defamation", "IN", "Delhi HC", "court")]
    )
    assert policies.catalogue.check_authority(facts.reports[0]) is None
    plan = policies.decide(facts)  # visible everywhere
    assert plan.deadline.hours == 3 and plan.deadline_rule.rule_id == "in.it-rules.government-or-court-order"
    assert plan.geo_restricted_in == ("IN",)
    assert [(h.jurisdiction, h.hold.period, h.hold.starts) for h in plan.holds] == [("IN", "P180D", "removal")]


def test_us_ncii_request_is_48_hours(policies):
    plan = policies.decide(ItemFacts(kind="image", country="CA", visible_in=["US"], reports=[("user", "ncii")]))
    assert plan.deadline.hours == 48 and plan.deadline_rule.rule_id == "us.take-it-down.ncii-request"
    assert plan.deadline.starts == "request_receipt"
    assert plan.queue.queue == "us_ncii_requests"


def test_a_german_notice_is_a_dsa_article_16_notice(policies):
    facts = ItemFacts(
        kind="text",
        country="DE",
        visible_in=["DE"],
        signals={"identity_attack": 0.92},
        reports=[Report("user", "illegal_hate_speech", "DE")],
    )
    plan = policies.decide(facts)
    de_rule = policies.packs["DE"].rule("de.dsa.hate-speech-notice")
    assert de_rule.content_class.key == "EU.illegal_content_notice"
    assert de_rule.content_class.deadline_hours is None
    assert plan.geo_restricted_in == ("DE",)
    assert not plan.deadline.source.startswith("content class")  # the platform's SLA, not a law's hours
    assert "NetzDG" not in json.dumps(plan.to_dict())
    assert "Art. 16" in plan.statement_of_reasons["illegal_content_legal_ground"]
    assert plan.statement_of_reasons["territorial_scope"] == ["DE"]


def test_visible_only_in_the_us_the_eu_pack_does_not_apply(policies):
    facts = ItemFacts(kind="video", country="DE", visible_in=["US"], reports=[("user", "terrorism")])
    plan = policies.decide(facts)
    assert [j for j, _ in plan.packs] == ["GLOBAL", "US"]
    assert "EU" not in codes(plan.applied)
    assert not any(r.jurisdiction == "EU" for r in plan.matched)


def test_statement_of_reasons_follows_the_applied_jurisdictions(policies):
    order = Report("authority_order", "other", "IN", "MeitY", "joint_secretary")
    only_india = policies.decide(ItemFacts(kind="text", country="DE", visible_in=["IN"], reports=[order]))
    assert only_india.visibility == "geo_restricted" and only_india.statement_of_reasons is None
    removed_outside_eu = policies.decide(
        ItemFacts(kind="image", country="DE", visible_in=["US"], hash_matches=[("pdq", "b", "csam", 1)])
    )
    assert removed_outside_eu.visibility == "removed" and removed_outside_eu.statement_of_reasons is None
    removed_in_eu = policies.decide(
        ItemFacts(kind="image", country="US", visible_in=["FR"], hash_matches=[("pdq", "b", "csam", 1)])
    )
    assert removed_in_eu.statement_of_reasons["territorial_scope"] == sorted(eu_eea_countries())
    everywhere = policies.decide(
        ItemFacts(
            kind="text", country="IN", reports=[("user", "illegal_hate_speech")], signals={"identity_attack": 0.95}
        )
    )
    assert everywhere.statement_of_reasons["territorial_scope"] == ["DE"]


def test_plan_dict_carries_applied_and_holds(policies):
    facts = ItemFacts(kind="image", visible_in=["US"], reports=[("user", "csam")])
    data = policies.decide(facts).to_dict()
    assert data["applied"] == [
        {"jurisdiction": "GLOBAL", "reasons": ["the platform's terms apply everywhere"]},
        {"jurisdiction": "US", "reasons": ["visible in US"]},
    ]
    (hold,) = data["holds"]
    assert hold["jurisdiction"] == "US" and hold["content_class"] == "csam_report"
    assert (hold["period"], hold["starts"]) == ("P1Y", "authority_report")
    assert hold["gdpr_basis"].startswith("GDPR Art. 6(1)(f)")
    assert hold["rule"]["rule_id"] == "us.ncmec.csam-report"
    json.dumps(data)

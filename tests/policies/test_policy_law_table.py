"""Every class of the catalogue, through the default packs: when its rule fires, the class's
deadline, the event that starts its clock and its evidence hold are in the plan. And
docs/jurisdictions.md is the catalogue, regenerated."""

from pathlib import Path

import pytest

from policies import ItemFacts, PolicySet, Report
from policies.jurisdictions_doc import render

DOC = Path(__file__).resolve().parents[2] / "docs" / "jurisdictions.md"


@pytest.fixture(scope="module")
def policies():
    return PolicySet.defaults()


def facts(visible_in, **kwargs):
    return ItemFacts(kind=kwargs.pop("kind", "image"), visible_in=visible_in, **kwargs)


# class -> (item that makes its rule fire, the rule)
CASES = {
    "GLOBAL.platform_urgent": (facts(["BR"], hash_matches=[("pdq", "b", "csam", 1)]), "global.csam.hash-match"),
    "GLOBAL.platform_standard": (
        facts(["BR"], hash_matches=[("pdq", "r", "copyright", 1)]),
        "global.copyright.hash-match",
    ),
    "EU.terrorist_content_removal_order": (
        facts(["FR"], reports=[Report("authority_order", "terrorism", "FR", "OCLCTIC")]),
        "eu.tco.removal-order",
    ),
    "EU.illegal_content_notice": (facts(["FR"], reports=[("user", "defamation")]), "eu.dsa.illegal-content-notice"),
    "EU.trusted_flagger_notice": (
        facts(["FR"], reports=[("trusted_flagger", "scam")]),
        "eu.dsa.trusted-flagger-notice",
    ),
    "EU.order_to_act": (
        facts(["DE"], reports=[Report("authority_order", "defamation", "DE", "LG Berlin", "court")]),
        "eu.dsa.order-to-act",
    ),
    "EU.threat_to_life_or_safety": (
        facts(["FR"], kind="text", reports=[("user", "threat")], signals={"threat": 0.95}),
        "eu.dsa.threat-to-life",
    ),
    "GB.illegal_content": (facts(["GB"], reports=[("user", "terrorism")]), "gb.osa.priority-illegal-report"),
    "GB.intimate_image_report": (facts(["GB"], reports=[("user", "ncii")]), "gb.osa.intimate-image-report"),
    "GB.csea_report": (facts(["GB"], hash_matches=[("pdq", "b", "csam", 1)]), "gb.osa.csea-report-nca"),
    "IN.government_or_court_order": (
        facts(["IN"], reports=[Report("authority_order", "other", "IN", "Delhi HC", "court")]),
        "in.it-rules.government-or-court-order",
    ),
    "IN.ncii_complaint": (facts(["IN"], reports=[("user", "ncii")]), "in.it-rules.ncii-complaint"),
    "AU.esafety_removal_notice": (
        facts(["AU"], reports=[Report("authority_order", "other", "AU", "eSafety Commissioner")]),
        "au.osa.esafety-removal-notice",
    ),
    "US.csam_report": (facts(["US"], reports=[("user", "csam")]), "us.ncmec.csam-report"),
    "US.ncii_removal_request": (facts(["US"], reports=[("user", "ncii")]), "us.take-it-down.ncii-request"),
}


def test_the_table_covers_every_class_a_rule_can_fire(policies):
    automatic = {cls.key for cls in policies.catalogue.classes() if not cls.manual}
    assert set(CASES) == automatic
    used = {rule.content_class.key for pack in policies.packs.values() for rule in pack.rules if rule.content_class}
    assert automatic <= used  # every legal class has a rule in a default pack


@pytest.mark.parametrize("key", sorted(CASES))
def test_each_class_reaches_the_plan(policies, key):
    item, rule_id = CASES[key]
    cls = next(c for c in policies.catalogue.classes() if c.key == key)
    plan = policies.decide(item)
    fired = {r.rule_id for r in plan.matched}
    assert rule_id in fired
    rule = next(p.rule(rule_id) for p in policies.packs.values() if any(r.id == rule_id for r in p.rules))
    assert rule.content_class is cls
    if rule.enforced:
        if cls.deadline_hours is not None:
            assert plan.deadline.hours == cls.deadline_hours
            assert plan.deadline.source == f"content class {cls.jurisdiction}/{cls.name}"
            assert plan.deadline.starts == cls.starts
            assert plan.deadline.citation == cls.citation
        held = {(h.jurisdiction, h.content_class): h for h in plan.holds}
        if cls.hold is not None:
            assert held[(cls.jurisdiction, cls.name)].hold == cls.hold
            assert held[(cls.jurisdiction, cls.name)].rule.rule_id == rule_id
        else:
            assert (cls.jurisdiction, cls.name) not in held
    else:  # a duty whose commencement is unconfirmed runs in shadow: recorded, never acting
        assert rule_id in {s.rule.rule_id for s in plan.shadow}
        assert cls.status and cls.verify


def test_manual_classes_are_holds_placed_by_hand(policies):
    manual = [cls for cls in policies.catalogue.classes() if cls.manual]
    assert [cls.key for cls in manual] == ["US.preservation_request"]
    used = {rule.content_class.key for pack in policies.packs.values() for rule in pack.rules if rule.content_class}
    assert not used & {cls.key for cls in manual}
    assert policies.catalogue.hold_rule("US", "preservation_request").extension == "P90D"


def test_no_class_or_rule_cites_the_repealed_netzdg_deadlines(policies):
    for pack in policies.packs.values():
        for rule in pack.rules:
            assert "NetzDG" not in str(dict(rule.legal.fields)) and "netzdg" not in rule.id, rule.id
            assert not any(a.get("queue") == "netzdg" for a in rule.actions), rule.id


def test_jurisdictions_doc_is_generated_from_the_catalogue(policies):
    text = render(policies.catalogue)
    assert DOC.read_text(encoding="utf-8") == text, "run: python -m policies.jurisdictions_doc > docs/jurisdictions.md"
    table = [line for line in text.splitlines() if line.startswith("| ") and not line.startswith("| Jurisdiction")]
    assert len(table) == len(policies.catalogue.classes()) + 1  # + the NetzDG s. 5 note
    assert "| IN | `government_or_court_order`" in text and "3 h from receipt of the order" in text
    assert "**verify:**" in text and "2026-12-03" in text

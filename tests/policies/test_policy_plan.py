"""Combining regional packs into one plan, with small purpose-built packs."""

from datetime import UTC, datetime

import pytest
import yaml

from policies import ItemFacts, PolicySet, compile_pack_text, plan_decision

LEGAL = {
    "decision_ground": "DECISION_GROUND_INCOMPATIBLE_CONTENT",
    "incompatible_content_ground": "ToS 1",
    "category": "STATEMENT_CATEGORY_VIOLENCE",
}


def pack(jurisdiction, *rules, version="1"):
    """Compiles a pack written as Python data (dumped to YAML, so it goes through the real loader)."""
    return compile_pack_text(yaml.safe_dump({"jurisdiction": jurisdiction, "version": version, "rules": list(rules)}))


def rule(rule_id, outcome, condition=None, mode="enforce", **extra):
    return {
        "id": rule_id,
        "description": "test rule",
        "mode": mode,
        "condition": condition or {"signal": "threat >= 0.5"},
        "outcome": yaml.safe_load(outcome) if isinstance(outcome, str) else outcome,
        "legal": LEGAL,
        **extra,
    }


THREAT = ItemFacts(kind="text", country="DE", signals={"threat": 0.9})


def test_global_remove_beats_geo_restrict():
    packs = [pack("GLOBAL", rule("g.remove", "remove")), pack("DE", rule("de.geo", "geo_restrict"))]
    plan = plan_decision(THREAT, packs)
    assert plan.visibility == "removed"
    assert plan.geo_restricted_in == ()
    geo = [a for a in plan.actions if a.action.name == "geo_restrict"][0]
    assert geo.superseded_by.rule_id == "g.remove"
    assert plan.statement_of_reasons["decision_visibility"] == ["DECISION_VISIBILITY_CONTENT_REMOVED"]
    assert len(plan.statement_of_reasons["territorial_scope"]) == 30


def test_geo_restrictions_of_several_packs_add_up():
    packs = [
        pack("GLOBAL", rule("g.geo", "{action: geo_restrict, countries: [TR]}")),
        pack("DE", rule("de.geo", "geo_restrict")),
    ]
    plan = plan_decision(THREAT, packs)
    assert plan.visibility == "geo_restricted"
    assert plan.geo_restricted_in == ("DE", "TR")
    # The DSA territorial scope only lists EU/EEA countries.
    assert plan.statement_of_reasons["territorial_scope"] == ["DE"]


@pytest.mark.parametrize(
    "global_hours,de_hours,expected,winner",
    [
        (48, 24, 24, "de.q"),
        (12, 24, 12, "g.q"),
        (24, 24, 24, "g.q"),  # a tie keeps the earlier pack
    ],
)
def test_strictest_deadline_wins(global_hours, de_hours, expected, winner):
    packs = [
        pack("GLOBAL", rule("g.q", f"{{action: queue, queue: general, priority: low, sla_hours: {global_hours}}}")),
        pack("DE", rule("de.q", f"{{action: queue, queue: de, priority: high, sla_hours: {de_hours}}}")),
    ]
    plan = plan_decision(THREAT, packs)
    assert plan.deadline.hours == expected
    assert plan.deadline_rule.rule_id == winner
    assert plan.queue.deadline_hours == expected
    assert plan.queue.priority == "high"  # the most urgent priority of all requests
    assert {q.queue for q in plan.queue_requests} == {"general", "de"}


def test_content_class_deadline_beats_a_longer_sla():
    de = pack(
        "DE",
        rule("de.q", "{action: queue, queue: de, sla_hours: 100}", content_class="terrorist_content_removal_order"),
    )
    assert de.rules[0].deadline.hours == 1
    assert de.rules[0].deadline.source == "content class EU/terrorist_content_removal_order"  # via the parent
    assert de.rules[0].deadline.starts == "order_receipt"
    assert "2021/784" in de.rules[0].deadline.citation


def test_rule_deadline_longer_than_the_law_warns():
    text = """jurisdiction: IN
version: '1'
rules:
  - id: in.slow
    description: d
    condition: {report: {}}
    outcome: {action: queue, queue: q}
    content_class: ncii_complaint
    deadline_hours: 48
    legal: {decision_ground: DECISION_GROUND_INCOMPATIBLE_CONTENT, incompatible_content_ground: x, category: STATEMENT_CATEGORY_VIOLENCE}
"""
    compiled = compile_pack_text(text)
    assert compiled.rules[0].deadline.hours == 2
    assert [w.line for w in compiled.warnings] == [9]


def test_shadow_rules_record_but_never_act():
    packs = [
        pack("GLOBAL", rule("g.shadow", "[remove, {action: queue, queue: q, sla_hours: 1}]", mode="shadow")),
        pack("DE", rule("de.shadow", "[geo_restrict, {action: report_authority, authority: BKA}]", mode="shadow")),
    ]
    plan = plan_decision(THREAT, packs)
    assert plan.actions == () and plan.visibility == "visible"
    assert plan.deadline is None and plan.queue is None and plan.authority_reports == ()
    assert [str(s.rule) for s in plan.shadow] == ["GLOBAL@1:g.shadow", "DE@1:de.shadow"]
    assert plan.shadow[0].deadline.hours == 1
    assert [str(r) for r in plan.matched] == ["GLOBAL@1:g.shadow", "DE@1:de.shadow"]


def test_no_action_rules_are_recorded_without_acting():
    plan = plan_decision(THREAT, [pack("GLOBAL", rule("g.allow", "no_action"))])
    assert [str(r) for r in plan.matched] == ["GLOBAL@1:g.allow"]
    assert not plan.acts and plan.visibility == "visible"


def test_version_override_is_named_in_every_result():
    text = """jurisdiction: GLOBAL
version: draft
rules:
  - id: g.r
    description: d
    condition: {signal: "threat >= 0.5"}
    outcome: remove
    legal: {decision_ground: DECISION_GROUND_INCOMPATIBLE_CONTENT, incompatible_content_ground: x, category: STATEMENT_CATEGORY_VIOLENCE}
"""
    compiled = compile_pack_text(text, version="17")
    plan = plan_decision(THREAT, [compiled])
    assert plan.packs == (("GLOBAL", "17"),)
    assert str(plan.actions[0].rule) == "GLOBAL@17:g.r"
    assert compiled.source_sha256 == compile_pack_text(text).source_sha256


def test_policy_set_picks_applicable_packs_only():
    policies = PolicySet(
        [
            pack("GLOBAL", rule("g", "{action: label, label: x}")),
            pack("EU", rule("eu", "geo_restrict")),
            pack("DE", rule("de", "geo_restrict")),
            pack("US", rule("us", "geo_restrict")),
        ]
    )
    assert [p.jurisdiction for p in policies.applicable_packs("DE")] == ["GLOBAL", "EU", "DE"]
    assert [p.jurisdiction for p in policies.applicable_packs("fr")] == ["GLOBAL", "EU"]
    assert [p.jurisdiction for p in policies.applicable_packs("US")] == ["GLOBAL", "US"]
    assert [p.jurisdiction for p in policies.applicable_packs(None)] == ["GLOBAL"]
    us_only = ItemFacts(kind="text", country="DE", visible_in=["US"], signals={"threat": 1})
    assert [p.jurisdiction for p in policies.applicable_packs(us_only)] == ["GLOBAL", "US"]
    assert policies.decide(us_only).geo_restricted_in == ("US",)
    everywhere = ItemFacts(kind="text", country="US", signals={"threat": 1})
    assert [p.jurisdiction for p in policies.applicable_packs(everywhere)] == ["GLOBAL", "EU", "DE", "US"]
    with pytest.raises(ValueError):
        PolicySet([pack("DE", rule("a", "remove")), pack("DE", rule("b", "remove"))])


def test_due_at_adds_the_deadline():
    plan = plan_decision(
        THREAT, [pack("IN", rule("in.q", "{action: queue, queue: q}", content_class="ncii_complaint"))]
    )
    received = datetime(2025, 1, 1, 23, tzinfo=UTC)
    assert plan.deadline.hours == 2
    assert plan.due_at(received) == datetime(2025, 1, 2, 1, tzinfo=UTC)


def test_a_pack_evaluated_directly_still_says_why():
    plan = plan_decision(
        THREAT, [pack("GLOBAL", rule("g", "{action: label, label: x}")), pack("BR", rule("b", "demote"))]
    )
    assert [a.to_dict() for a in plan.applied] == [
        {"jurisdiction": "GLOBAL", "reasons": ["the platform's terms apply everywhere"]},
        {"jurisdiction": "BR", "reasons": ["visible everywhere"]},
    ]


def test_plan_is_deterministic_and_serialisable():
    import json

    policies = PolicySet.defaults()
    facts = ItemFacts(
        kind="image",
        country="DE",
        signals={"exposed": 0.95},
        reports=[("user", "illegal_hate_speech")] * 3,
        account_age_days=2,
    )
    first = json.dumps(policies.decide(facts).to_dict(), sort_keys=True)
    assert first == json.dumps(policies.decide(facts).to_dict(), sort_keys=True)


def test_explain_lists_every_rule_of_every_applicable_pack_with_reasons():
    policies = PolicySet.defaults()
    facts = ItemFacts(
        kind="text",
        country="US",
        visible_in=["DE"],
        signals={"identity_attack": 0.92},
        reports=[("user", "illegal_hate_speech")],
    )
    results = policies.explain(facts)
    expected = sum(len(policies.packs[code].rules) for code in ("GLOBAL", "EU", "DE"))
    assert len(results) == expected
    by_id = {r.ref.rule_id: r for r in results}
    manifest = by_id["de.dsa.hate-speech-notice"]
    assert manifest.matched and manifest.acts and manifest.ref.pack_version == "2.0.0"
    assert "score is 0.92" in manifest.to_dict()["why"]
    terror = by_id["de.stgb.terrorism-hash"]
    assert not terror.matched and "matched no bank" in terror.explanation.render()
    assert {r.ref.jurisdiction for r in results} == {"GLOBAL", "EU", "DE"}
    # The fast path agrees with the explained one.
    fast = {r.ref for p in policies.applicable_packs(facts) for r in p.matching_rules(facts)}
    assert fast == {r.ref for r in results if r.matched}

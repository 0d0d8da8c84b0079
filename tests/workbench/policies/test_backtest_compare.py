"""The backtest's short cuts give the same answer as planning every item with both versions."""

from __future__ import annotations

import random

from policies import ItemFacts, PolicySet, compile_pack_text, default_pack_texts
from policies.yaml_source import load_yaml_with_marks
from workbench.services.policy.backtest_compare import (
    OutcomeComparer,
    _actioned,
    _effective,
    _queue,
    same_effect_rules,
    unchanged_rules,
)

LABELS = ["toxicity", "severe_toxicity", "threat", "identity_attack", "sexual_explicit", "profanity", "exposed"]
COUNTRIES = ["DE", "FR", "GB", "US", "IN", "AU", "BR", None]
CATEGORIES = ["illegal_hate_speech", "terrorism", "csam", "ncii", "harassment", "threat", "scam"]
# Audiences: everywhere (None, as items stored before audiences), one country, or several.
AUDIENCES = [None, ("DE",), ("FR",), ("BR",), ("US",), ("IN",), ("GB", "AU"), ("BR", "JP")]
ISSUERS = [None, None, "DE", "IN", "AU"]


def random_facts(rng: random.Random, index: int) -> ItemFacts:
    return ItemFacts(
        kind=rng.choice(["text", "image"]),
        country=rng.choice(COUNTRIES),
        item_id=str(index),
        account_age_days=rng.choice([None, 1, 30, 400]),
        signals={label: rng.random() ** 3 for label in LABELS if rng.random() < 0.8},
        hash_matches=[("pdq", "bank", kind, 3) for kind in ("csam", "terrorism", "copyright") if rng.random() < 0.03],
        reports=[
            (rng.choice(["user", "trusted_flagger", "authority_order"]), rng.choice(CATEGORIES), rng.choice(ISSUERS))
            for _ in range(rng.choice([0, 0, 0, 1, 3]))
        ],
        visible_in=rng.choice(AUDIENCES),
    )


def draft_of(text: str) -> str:
    text = text.replace('signal: "threat >= 0.8"', 'signal: "threat >= 0.6"')  # a changed condition
    text = text.replace(
        "outcome: {action: queue, queue: rights, priority: low}",
        "outcome: {action: queue, queue: rights, priority: high}",
    )  # a changed outcome
    text = text.replace(
        '    mode: shadow\n    condition:\n      all:\n        - signal: "toxicity >= 0.95"',
        '    mode: enforce\n    condition:\n      all:\n        - signal: "toxicity >= 0.95"',
    )
    start = text.index("  - id: global.reports.user-volume")  # a removed rule
    end = text.index("  - id: global.reports.trusted-flagger")
    return text[:start] + text[end:]


def test_short_cuts_agree_with_planning_everything():
    texts = default_pack_texts()
    published = PolicySet.from_texts(texts)
    old = published.packs["GLOBAL"]
    draft_text = draft_of(texts["GLOBAL"])
    new = compile_pack_text(draft_text, version="draft")
    with_draft = PolicySet([p for j, p in published.packs.items() if j != "GLOBAL"] + [new])
    old_data, _ = load_yaml_with_marks(texts["GLOBAL"])
    new_data, _ = load_yaml_with_marks(draft_text)
    unchanged, same_effect = unchanged_rules(old_data, new_data), same_effect_rules(old_data, new_data)
    assert "global.threat" in same_effect - unchanged and "global.copyright.hash-match" not in same_effect
    comparer = OutcomeComparer(published, old, new, unchanged, same_effect)

    rng = random.Random(5)
    expected = {"changed": 0, "newly_actioned": 0, "no_longer_actioned": 0, "moves": {}}
    for index in range(3000):
        facts = random_facts(rng, index)
        comparer.add(index, facts)
        before, after = published.decide(facts), with_draft.decide(facts)
        shadow = {(s.rule.jurisdiction, s.rule.rule_id) for s in before.shadow} != {
            (s.rule.jurisdiction, s.rule.rule_id) for s in after.shadow
        }
        if (
            _queue(before) != _queue(after)
            or _effective(before) != _effective(after)
            or shadow
            or (before.deadline and before.deadline.hours) != (after.deadline and after.deadline.hours)
        ):
            expected["changed"] += 1
        expected["newly_actioned"] += _actioned(after) and not _actioned(before)
        expected["no_longer_actioned"] += _actioned(before) and not _actioned(after)
        if _queue(before) != _queue(after):
            key = (_queue(before), _queue(after))
            expected["moves"][key] = expected["moves"].get(key, 0) + 1

    results = comparer.results()
    assert results["changed"]["count"] == expected["changed"] > 0
    assert results["categories"]["newly_actioned"]["count"] == expected["newly_actioned"] > 0
    assert results["categories"]["no_longer_actioned"]["count"] == expected["no_longer_actioned"] > 0
    assert {(m["from"], m["to"]): m["count"] for m in results["queue_moves"]} == expected["moves"]
    assert comparer.planned < comparer.items / 2  # the short cuts did skip most items
    rows = {row["rule_id"]: row for row in results["rules"]}
    assert rows["global.reports.user-volume"]["status"] == "removed"
    assert (
        rows["global.threat"]["status"] == "changed"
        and rows["global.threat"]["draft"] > rows["global.threat"]["baseline"]
    )


def test_a_country_draft_compares_only_the_items_it_applies_to_and_says_why():
    texts = default_pack_texts()
    published = PolicySet.from_texts(texts)
    old = published.packs["IN"]
    new = compile_pack_text(texts["IN"], version="draft")
    comparer = OutcomeComparer(published, old, new)
    facts = {
        1: ItemFacts(kind="text", country="IN", visible_in=["US"]),  # uploaded in India, not shown there
        2: ItemFacts(kind="text", country="US", visible_in=["IN", "US"]),
        3: ItemFacts(kind="text", country="US", visible_in=["US"], reports=[("authority_order", "other", "IN")]),
        4: ItemFacts(kind="text", country="BR"),  # everywhere
    }
    for item_id, item in facts.items():
        comparer.add(item_id, item)
    results = comparer.results()
    assert results["items"] == 3
    assert {row["reason"]: row["samples"] for row in results["applied_because"]} == {
        "visible in IN": [2],
        "notice issued in IN": [3],
        "visible everywhere": [4],
    }

"""Comparing the outcomes of a draft pack with its published version, item by item (pure).

Only the draft's pack differs between the two sides, so for most items the work is two
`matching_rules` calls: when neither version matches (or both match the same unchanged
rules) the outcomes are equal without planning anything. Only the remaining items are
planned twice, reusing the other packs' matches.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from policies import CompiledPack, DecisionPlan, ItemFacts, PolicySet, combine
from policies.applicability import AppliedJurisdiction, applicable

SAMPLES = 10
MAX_REASONS = 40
OTHER_REASONS = "other reasons"


@dataclass
class Bucket:
    count: int = 0
    samples: list[int] = field(default_factory=list)

    def add(self, item_id: int) -> None:
        self.count += 1
        if len(self.samples) < SAMPLES:
            self.samples.append(item_id)

    def to_dict(self) -> dict:
        return {"count": self.count, "samples": self.samples}


CATEGORIES = (
    ("newly_removed", "Newly removed"),
    ("no_longer_removed", "No longer removed"),
    ("newly_actioned", "Newly actioned (an action or a case)"),
    ("no_longer_actioned", "No longer actioned"),
    ("geo_restriction_changed", "Geo-restriction changed"),
    ("deadline_changed", "Deadline changed"),
    ("shadow_changed", "Shadow hits changed"),
)


def _queue(plan: DecisionPlan) -> str | None:
    return plan.queue.queue if plan.queue else None


def _actioned(plan: DecisionPlan) -> bool:
    return plan.acts or plan.queue is not None


def _effective(plan: DecisionPlan) -> frozenset:
    # What the platform would do, whichever version of a pack asks for it.
    return frozenset(
        (
            pa.action.name,
            tuple(sorted((k, _plain(v)) for k, v in pa.action.params.items())),
            pa.rule.jurisdiction,
            pa.rule.rule_id,
        )
        for pa in plan.effective_actions()
    )


def _plain(value) -> str:
    return ",".join(sorted(value)) if isinstance(value, frozenset) else str(value)


class OutcomeComparer:
    def __init__(
        self,
        policy_set: PolicySet,
        old: CompiledPack | None,
        new: CompiledPack,
        unchanged_rule_ids: frozenset[str] = frozenset(),
        same_effect_rule_ids: frozenset[str] = frozenset(),
    ):
        self.policy_set = policy_set
        self.catalogue = policy_set.catalogue
        self.old = old
        self.new = new
        self.jurisdiction = new.jurisdiction
        self.unchanged = unchanged_rule_ids  # written identically
        self.same_effect = same_effect_rule_ids | unchanged_rule_ids  # at most the condition differs
        self.baseline_hits: Counter[str] = Counter()
        self.draft_hits: Counter[str] = Counter()
        self.items = 0
        self.planned = 0
        self.changed = Bucket()
        self.categories = {name: Bucket() for name, _ in CATEGORIES}
        self.queue_moves: dict[tuple[str | None, str | None], Bucket] = {}
        # Why the draft's pack applied to the items compared ("visible in DE", "notice issued in DE").
        self.reasons: dict[str, Bucket] = {}
        self._others: dict[tuple[str, ...], tuple[list[CompiledPack], int]] = {}
        self._also = tuple(policy_set.packs) + (self.jurisdiction,)  # a draft of a pack not yet published
        # A rule written the same in both versions is tested once per item, not twice.
        shared = self.unchanged & {r.id for r in new.rules} & ({r.id for r in old.rules} if old else set())
        self._old_tests = [(rule, rule.condition.test, rule.id in shared) for rule in (old.rules if old else ())]
        self._new_tests = [(rule, rule.condition.test, rule.id in shared) for rule in new.rules]

    def _other_packs(self, codes: tuple[str, ...]) -> tuple[list[CompiledPack], int]:
        """The applicable packs other than the draft's, and where the draft's goes among them."""
        if codes not in self._others:
            others = [self.policy_set.packs[c] for c in codes if c != self.jurisdiction and c in self.policy_set.packs]
            position = sum(1 for c in codes[: codes.index(self.jurisdiction)] if c in self.policy_set.packs)
            self._others[codes] = (others, position)
        return self._others[codes]

    def applied(self, facts: ItemFacts) -> tuple[AppliedJurisdiction, ...]:
        return applicable(self.catalogue, facts, self.policy_set.establishments, self._also)

    def add(self, item_id: int, facts: ItemFacts) -> None:
        """Compares the item's outcomes if the draft's pack applies to it (else nothing changes)."""
        applied = self.applied(facts)
        mine = next((a for a in applied if a.code == self.jurisdiction), None)
        if mine is None:
            return
        self.items += 1
        for reason in mine.reasons:
            bucket = self.reasons.get(reason)
            if bucket is None:
                if len(self.reasons) >= MAX_REASONS:  # authorities are free text: keep the table short
                    reason = OTHER_REASONS
                bucket = self.reasons.setdefault(reason, Bucket())
            bucket.add(item_id)
        known: dict[str, bool] = {}
        old_hits = []
        for rule, test, shared in self._old_tests:
            if test(facts):
                old_hits.append(rule)
                if shared:
                    known[rule.id] = True
            elif shared:
                known[rule.id] = False
        new_hits = [rule for rule, test, shared in self._new_tests if (known[rule.id] if shared else test(facts))]
        if not old_hits and not new_hits:
            return
        for rule in old_hits:
            self.baseline_hits[rule.id] += 1
        for rule in new_hits:
            self.draft_hits[rule.id] += 1
        old_ids = [r.id for r in old_hits]
        if old_ids == [r.id for r in new_hits] and all(i in self.same_effect for i in old_ids):
            return  # the same rules match and do the same: the same plan
        self.planned += 1
        others, position = self._other_packs(tuple(a.code for a in applied))
        matches = [(pack, pack.matching_rules(facts)) for pack in others]
        before = matches[:position] + ([(self.old, old_hits)] if self.old is not None else []) + matches[position:]
        after = matches[:position] + [(self.new, new_hits)] + matches[position:]
        self._compare(
            item_id, combine(facts, before, self.catalogue, applied), combine(facts, after, self.catalogue, applied)
        )

    def _compare(self, item_id: int, before: DecisionPlan, after: DecisionPlan) -> None:
        differs = False
        if _queue(before) != _queue(after):
            self.queue_moves.setdefault((_queue(before), _queue(after)), Bucket()).add(item_id)
            differs = True
        removed_before, removed_after = before.visibility == "removed", after.visibility == "removed"
        if removed_after and not removed_before:
            self.categories["newly_removed"].add(item_id)
        if removed_before and not removed_after:
            self.categories["no_longer_removed"].add(item_id)
        if _actioned(after) and not _actioned(before):
            self.categories["newly_actioned"].add(item_id)
        if _actioned(before) and not _actioned(after):
            self.categories["no_longer_actioned"].add(item_id)
        if set(before.geo_restricted_in) != set(after.geo_restricted_in):
            self.categories["geo_restriction_changed"].add(item_id)
        hours_before = before.deadline.hours if before.deadline else None
        hours_after = after.deadline.hours if after.deadline else None
        if hours_before != hours_after:
            self.categories["deadline_changed"].add(item_id)
        if {(s.rule.jurisdiction, s.rule.rule_id) for s in before.shadow} != {
            (s.rule.jurisdiction, s.rule.rule_id) for s in after.shadow
        }:
            self.categories["shadow_changed"].add(item_id)
            differs = True
        if (
            differs
            or removed_before != removed_after
            or hours_before != hours_after
            or _effective(before) != _effective(after)
        ):
            self.changed.add(item_id)

    def results(self) -> dict:
        old_rules = {r.id: r for r in self.old.rules} if self.old is not None else {}
        new_rules = {r.id: r for r in self.new.rules}
        rows = []
        for rule_id in list(new_rules) + [i for i in old_rules if i not in new_rules]:
            old, new = old_rules.get(rule_id), new_rules.get(rule_id)
            status = (
                "added"
                if old is None
                else "removed"
                if new is None
                else "same"
                if rule_id in self.unchanged
                else "changed"
            )
            rows.append(
                {
                    "rule_id": rule_id,
                    "status": status,
                    "mode": (new or old).mode,
                    "mode_before": old.mode if old else None,
                    "baseline": self.baseline_hits.get(rule_id, 0),
                    "draft": self.draft_hits.get(rule_id, 0),
                }
            )
        moves = sorted(self.queue_moves.items(), key=lambda kv: -kv[1].count)
        return {
            "jurisdiction": self.jurisdiction,
            "items": self.items,
            "planned": self.planned,
            "changed": self.changed.to_dict(),
            "rules": rows,
            "queue_moves": [{"from": a, "to": b, **bucket.to_dict()} for (a, b), bucket in moves],
            "categories": {name: self.categories[name].to_dict() for name, _ in CATEGORIES},
            "applied_because": [
                {"reason": reason, **bucket.to_dict()}
                for reason, bucket in sorted(self.reasons.items(), key=lambda kv: (-kv[1].count, kv[0]))
            ],
        }


# What a matched rule contributes to a plan does not depend on these keys.
_NOT_EFFECT = ("condition", "description", "notes", "tags")


def unchanged_rules(old_data: dict | None, new_data: dict | None, *, ignore: tuple[str, ...] = ()) -> frozenset[str]:
    """Ids of rules written identically in both texts, apart from the `ignore`d keys, and in
    the same order (the order decides which rule is named on ties)."""
    if not old_data or not new_data:
        return frozenset()
    old_rules = [r for r in old_data.get("rules") or [] if isinstance(r, dict)]
    new_rules = [r for r in new_data.get("rules") or [] if isinstance(r, dict)]
    old_by_id = {r.get("id"): (i, r) for i, r in enumerate(old_rules)}
    common_old = [r.get("id") for r in old_rules if r.get("id") in {n.get("id") for n in new_rules}]
    common_new = [r.get("id") for r in new_rules if r.get("id") in old_by_id]
    if common_old != common_new:  # a reordering changes which rule is named on ties
        return frozenset()

    def written(rule: dict) -> dict:
        return {k: v for k, v in rule.items() if k not in ignore}

    return frozenset(
        r["id"] for r in new_rules if r.get("id") in old_by_id and written(old_by_id[r["id"]][1]) == written(r)
    )


def same_effect_rules(old_data: dict | None, new_data: dict | None) -> frozenset[str]:
    """Rules that do the same thing when they match, whatever their conditions."""
    return unchanged_rules(old_data, new_data, ignore=_NOT_EFFECT)

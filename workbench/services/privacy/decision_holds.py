"""The holds a decision brings: the content class of the rule a restricting decision rests on
names a preservation period (policies' HoldRule), counted from the decision (the removal).

Used for human decisions (a review decision hook) and by `flask privacy backfill-holds`, which
writes, once after upgrading, the holds that were computed before they were rows: hash-bank
matches (from the item's ingest, as before) and restricting decisions under a rule whose
content class has a period (from the decision's time). Both are idempotent.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from policies.holds import HoldRequirement
from policies.model import CompiledRule, RuleRef
from workbench.models import Decision, HashBank, HashMatch, Item, PolicyVersion
from workbench.services.policy.runtime import compiled_pack
from workbench.services.privacy.holds import BANK_HOLDS, catalogue_requirement, place_catalogue_holds


class RuleLookup:
    """(jurisdiction, pack version, rule id) -> the compiled rule, memoised per run."""

    def __init__(self, session: Session):
        self.session = session
        self._memo: dict[tuple[str, int, str], CompiledRule | None] = {}

    def get(self, jurisdiction: str, version: int, rule_id: str) -> CompiledRule | None:
        key = (jurisdiction, int(version), rule_id)
        if key not in self._memo:
            row = self.session.execute(
                select(PolicyVersion.text, PolicyVersion.sha256).where(
                    PolicyVersion.jurisdiction == jurisdiction, PolicyVersion.number == int(version)
                )
            ).first()
            rule = None
            if row is not None:
                try:
                    rule = compiled_pack(row.text, row.sha256, str(version)).rule(rule_id)
                except KeyError:
                    rule = None
            self._memo[key] = rule
        return self._memo[key]


def decision_rule_refs(decision: Decision) -> set[tuple[str, int, str]]:
    """The rules a decision rests on: the decisive one and every effective action's."""
    refs = {(decision.rule_jurisdiction, int(decision.rule_pack_version), decision.rule_id)}
    for action in decision.actions or []:
        rule = action.get("rule") if isinstance(action, dict) else None
        if isinstance(rule, dict) and action.get("superseded_by") is None:
            try:
                refs.add((str(rule["jurisdiction"]), int(rule["pack_version"]), str(rule["rule_id"])))
            except (KeyError, TypeError, ValueError):
                continue
    return refs


def decision_requirements(decision: Decision, rules: RuleLookup) -> list[HoldRequirement]:
    """The holds a decision requires (none when nothing was removed or restricted)."""
    if decision.visibility == "visible":
        return []
    found = []
    for jurisdiction, version, rule_id in sorted(decision_rule_refs(decision)):
        rule = rules.get(jurisdiction, version, rule_id)
        if rule is None or rule.content_class is None:
            continue
        ref = RuleRef(jurisdiction, str(version), rule_id)
        requirement = catalogue_requirement(rule.content_class.jurisdiction, rule.content_class.name, ref)
        if requirement is not None:
            found.append(requirement)
    return found


def place_decision_holds(session: Session, decision: Decision, rules: RuleLookup | None = None) -> list:
    """Place the decision's holds, counted from its time (no commit)."""
    requirements = decision_requirements(decision, rules or RuleLookup(session))
    if not requirements:
        return []
    item = session.get(Item, decision.item_id)
    # A report the law counts from is not made yet: its hold runs from the decision until it is.
    events = {"removal": decision.decided_at, "detection": decision.decided_at}
    return place_catalogue_holds(session, item, requirements, events)


@dataclass
class BackfillReport:
    bank_items: int = 0
    decisions: int = 0
    placed: int = 0


def backfill_holds(session: Session, *, batch_size: int = 500) -> BackfillReport:
    """Write the holds that were computed before they were rows; commits per batch."""
    report = BackfillReport()
    matched = session.execute(
        select(HashMatch.item_id, HashBank.kind)
        .join(HashBank, HashBank.id == HashMatch.bank_id)
        .where(HashBank.kind.in_(sorted(BANK_HOLDS)))
        .distinct()
        .order_by(HashMatch.item_id)
    ).all()
    for item_id, kind in matched:
        item = session.get(Item, item_id)
        requirement = catalogue_requirement(*BANK_HOLDS[kind])
        if item is None or requirement is None:
            continue
        # As the computed hold did: from the item's ingest, whatever event the law names.
        event = {requirement.hold.starts: item.created_at}
        report.placed += len(place_catalogue_holds(session, item, [requirement], event))
        report.bank_items += 1
    session.commit()
    rules = RuleLookup(session)
    after = 0
    while True:
        decisions = session.scalars(
            select(Decision)
            .where(Decision.id > after, Decision.visibility != "visible")
            .order_by(Decision.id)
            .limit(batch_size)
        ).all()
        if not decisions:
            return report
        for decision in decisions:
            report.decisions += 1
            report.placed += len(place_decision_holds(session, decision, rules))
        after = decisions[-1].id
        session.commit()

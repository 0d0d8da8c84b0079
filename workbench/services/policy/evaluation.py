"""Evaluating an item against the published packs, storing the result, and explaining it."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from policies import CompiledPack, DecisionPlan, ItemFacts, PolicySet, RuleResult
from policies.applicability import AppliedJurisdiction
from workbench.audit import canonical_json
from workbench.models import EvaluationPack, Item, PolicyEvaluation, RuleHit
from workbench.models.base import utcnow
from workbench.services.policy.clocks import RECEIPT_STARTS, report_times, triggered_at
from workbench.services.policy.facts import facts_as_of, load_facts
from workbench.services.policy.runtime import PublishedPolicies, published_policies, with_draft
from workbench.services.privacy.holds import place_catalogue_holds


class ItemNotFound(LookupError):
    pass


def latest_evaluation(session: Session, item_id: int) -> PolicyEvaluation | None:
    return session.scalar(
        select(PolicyEvaluation)
        .where(PolicyEvaluation.item_id == item_id)
        .order_by(PolicyEvaluation.evaluated_at.desc(), PolicyEvaluation.id.desc())
        .limit(1)
    )


def _fingerprint(facts: ItemFacts, plan: DecisionPlan, published: PublishedPolicies) -> str:
    shas = {j: s for j, _, s in published.key}
    packs = [[j, v, shas.get(j)] for j, v in plan.packs]
    return hashlib.sha256(canonical_json({"facts": facts.to_dict(), "packs": packs}).encode()).hexdigest()


def evaluate_item(
    session: Session, item: Item, *, establishments: Iterable[str], trigger: str = "pipeline"
) -> tuple[PolicyEvaluation, bool]:
    """Evaluates the item's stored facts; the same facts under the same versions reuse their row.
    `establishments`: Settings.provider_jurisdictions.

    Returns (evaluation, created). No commit: the pipeline stage (or the re-evaluation job)
    commits with its audit event.
    """
    published = published_policies(session, seed_if_empty=True, establishments=establishments)
    session.flush()  # facts must include rows the caller added in this transaction
    facts = load_facts(session, [item.id])[item.id]
    plan = published.policy_set.decide(facts)
    fingerprint = _fingerprint(facts, plan, published)
    existing = session.scalar(
        select(PolicyEvaluation).where(PolicyEvaluation.item_id == item.id, PolicyEvaluation.fingerprint == fingerprint)
    )
    if existing is not None:
        latest = latest_evaluation(session, item.id)
        if latest is not None and latest.id != existing.id:
            existing.evaluated_at = utcnow()  # the facts went back to an earlier state: current again
        return existing, False
    shadow = {hit.rule for hit in plan.shadow}
    as_of = facts_as_of(session, item)
    times = report_times(session, item.id) if facts.reports else []
    deadline_from = None
    if plan.deadline is not None and plan.deadline.starts in RECEIPT_STARTS:
        deadline_from = triggered_at(published.policy_set, facts, times, plan.deadline_rule)
    evaluation = PolicyEvaluation(
        item_id=item.id,
        fingerprint=fingerprint,
        trigger=trigger,
        facts_as_of=as_of,
        deadline_from=deadline_from or as_of,
        visibility=plan.visibility,
        acts=plan.acts,
        plan=plan.to_dict(),
        evaluated_at=utcnow(),
    )
    evaluation.packs = [
        EvaluationPack(item_id=item.id, position=i, jurisdiction=j, pack_version=int(v))
        for i, (j, v) in enumerate(plan.packs)
    ]
    evaluation.rule_hits = [
        RuleHit(
            item_id=item.id,
            jurisdiction=ref.jurisdiction,
            pack_version=int(ref.pack_version),
            rule_id=ref.rule_id,
            mode="shadow" if ref in shadow else "enforce",
        )
        for ref in plan.matched
    ]
    session.add(evaluation)
    session.flush()
    _place_holds(session, item, plan, published.policy_set, facts, times)
    return evaluation, True


def _place_holds(session: Session, item: Item, plan: DecisionPlan, policy_set: PolicySet, facts, times) -> None:
    """The evidence holds the plan's law requires. An order's hold counts from the order's
    receipt; a hold counted from the removal starts provisionally from the item's arrival and
    moves to the removal once it is decided (routing, or the review decision hook)."""
    for requirement in plan.holds:
        events = {"detection": item.created_at}
        if requirement.hold.starts == "order_receipt":
            events["order_receipt"] = triggered_at(policy_set, facts, times, requirement.rule)
        place_catalogue_holds(session, item, [requirement], events)


def evaluation_summary(evaluation: PolicyEvaluation) -> dict:
    """Small enough for an audit payload."""
    return {
        "evaluation_id": evaluation.id,
        "packs": [f"{p.jurisdiction}@{p.pack_version}" for p in evaluation.packs],
        "matched": [h.ref for h in evaluation.rule_hits],
        "visibility": evaluation.visibility,
    }


# --- "test a rule on one item" --------------------------------------------------------------


@dataclass(frozen=True)
class PackExplanation:
    jurisdiction: str
    version: str
    results: list[RuleResult]


@dataclass(frozen=True)
class ItemExplanation:
    item: Item
    facts: ItemFacts
    packs: list[PackExplanation]
    plan: DecisionPlan
    draft_jurisdiction: str | None

    @property
    def applied(self) -> tuple[AppliedJurisdiction, ...]:
        """Whose law applies to the item, and why (the plan's own list)."""
        return self.plan.applied


def explain_item(
    session: Session, item_id: int, draft_pack: CompiledPack | None = None, *, establishments: Iterable[str]
) -> ItemExplanation:
    """Every rule of every applicable pack on one stored item, matched or not, and why.
    `establishments`: Settings.provider_jurisdictions.

    With a draft, the draft replaces its pack's published version (nothing is stored).
    """
    item = session.get(Item, item_id)
    if item is None:
        raise ItemNotFound(f"no item {item_id}")
    published = published_policies(session, establishments=establishments)
    policy_set: PolicySet = with_draft(published, draft_pack) if draft_pack else published.policy_set
    facts = load_facts(session, [item.id])[item.id]
    results = policy_set.explain(facts)
    packs = [
        PackExplanation(p.jurisdiction, p.version, [r for r in results if r.ref.jurisdiction == p.jurisdiction])
        for p in policy_set.applicable_packs(facts)
    ]
    return ItemExplanation(
        item, facts, packs, policy_set.decide(facts), draft_pack.jurisdiction if draft_pack else None
    )

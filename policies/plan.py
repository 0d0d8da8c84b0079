"""Combines the matched rules of several regional packs into one decision plan.

The combination rules (docs/policy-language.md, "When several regions apply"):
- the strictest (shortest) deadline wins, and the most urgent queue priority;
- geo_restrict is territorial: the item is hidden in those countries and stays up elsewhere;
  restrictions from several packs add up;
- remove is global and beats every geo_restrict (which is kept in the plan, marked superseded);
- shadow rules are recorded with what they would have done and never act;
- everything in the plan names its pack (jurisdiction + version) and rule id;
- the plan says which jurisdictions applied and why, and which evidence holds the law requires.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from . import dsa
from .applicability import AppliedJurisdiction, applicable
from .catalogue import Catalogue, Retention, default_catalogue
from .facts import ItemFacts
from .holds import HoldRequirement
from .model import Action, CompiledPack, CompiledRule, Deadline, RuleRef
from .vocabulary import PRIORITIES, PRIORITY_RANK

# Most severe first: the rule behind the most severe effective action goes in the statement of reasons.
SEVERITY = {"remove": 0, "geo_restrict": 1, "age_restrict": 2, "demote": 3, "label": 4}
VISIBILITY_BY_ACTION = {
    "remove": "DECISION_VISIBILITY_CONTENT_REMOVED",
    "geo_restrict": "DECISION_VISIBILITY_CONTENT_DISABLED",
    "age_restrict": "DECISION_VISIBILITY_CONTENT_AGE_RESTRICTED",
    "demote": "DECISION_VISIBILITY_CONTENT_DEMOTED",
    "label": "DECISION_VISIBILITY_CONTENT_LABELLED",
}


@dataclass(frozen=True, slots=True)
class PlannedAction:
    action: Action
    rule: RuleRef
    superseded_by: RuleRef | None = None  # e.g. a geo_restrict made moot by a global remove

    def to_dict(self) -> dict:
        return {
            **self.action.to_dict(),
            "rule": self.rule.to_dict(),
            "superseded_by": self.superseded_by.to_dict() if self.superseded_by else None,
        }


@dataclass(frozen=True, slots=True)
class QueueRequest:
    queue: str
    priority: str
    deadline_hours: float | None
    rule: RuleRef

    def to_dict(self) -> dict:
        return {
            "queue": self.queue,
            "priority": self.priority,
            "deadline_hours": self.deadline_hours,
            "rule": self.rule.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class ShadowHit:
    rule: RuleRef
    would_have: tuple[Action, ...]
    deadline: Deadline | None

    def to_dict(self) -> dict:
        return {
            "rule": self.rule.to_dict(),
            "would_have": [a.to_dict() for a in self.would_have],
            "deadline": self.deadline.to_dict() if self.deadline else None,
        }


@dataclass(frozen=True, slots=True)
class DecisionPlan:
    item_id: str | None
    country: str | None
    packs: tuple[tuple[str, str], ...]  # (jurisdiction, version) evaluated, in order
    matched: tuple[RuleRef, ...]  # every matching rule, enforce and shadow
    actions: tuple[PlannedAction, ...]  # enforced actions, superseded ones marked
    visibility: str  # "removed" | "geo_restricted" | "visible"
    geo_restricted_in: tuple[str, ...]
    queue: QueueRequest | None  # the one case to open: strictest deadline, most urgent priority
    queue_requests: tuple[QueueRequest, ...]
    deadline: Deadline | None
    deadline_rule: RuleRef | None
    escalations: tuple[PlannedAction, ...]
    authority_reports: tuple[PlannedAction, ...]
    shadow: tuple[ShadowHit, ...]
    statement_of_reasons: dict | None  # DSA fields from the decisive rule, when one is required
    evidence_retention: tuple[Retention, RuleRef] | None  # the longest that applies
    applied: tuple[AppliedJurisdiction, ...] = ()  # whose law applied, and why
    holds: tuple[HoldRequirement, ...] = ()  # one per (jurisdiction, content class) with a hold

    @property
    def acts(self) -> bool:
        return any(a.superseded_by is None and a.action.name != "no_action" for a in self.actions)

    def effective_actions(self) -> list[PlannedAction]:
        return [a for a in self.actions if a.superseded_by is None]

    def due_at(self, received_at: datetime) -> datetime | None:
        return received_at + timedelta(hours=self.deadline.hours) if self.deadline else None

    def to_dict(self) -> dict:
        return {
            "item_id": self.item_id,
            "country": self.country,
            "packs": [{"jurisdiction": j, "version": ver} for j, ver in self.packs],
            "matched": [r.to_dict() for r in self.matched],
            "actions": [a.to_dict() for a in self.actions],
            "visibility": self.visibility,
            "geo_restricted_in": list(self.geo_restricted_in),
            "queue": self.queue.to_dict() if self.queue else None,
            "queue_requests": [q.to_dict() for q in self.queue_requests],
            "deadline": {**self.deadline.to_dict(), "rule": self.deadline_rule.to_dict()} if self.deadline else None,
            "escalations": [a.to_dict() for a in self.escalations],
            "authority_reports": [a.to_dict() for a in self.authority_reports],
            "shadow": [s.to_dict() for s in self.shadow],
            "statement_of_reasons": self.statement_of_reasons,
            "evidence_retention": (
                {
                    "period": self.evidence_retention[0].period,
                    "citation": self.evidence_retention[0].citation,
                    "rule": self.evidence_retention[1].to_dict(),
                }
                if self.evidence_retention
                else None
            ),
            "applied": [a.to_dict() for a in self.applied],
            "holds": [h.to_dict() for h in self.holds],
        }


def plan_decision(
    facts: ItemFacts,
    packs: Sequence[CompiledPack],
    catalogue: Catalogue | None = None,
    applied: Sequence[AppliedJurisdiction] | None = None,
) -> DecisionPlan:
    """Evaluates the given (already applicable) packs on one item and combines the results."""
    return combine(facts, [(pack, pack.matching_rules(facts)) for pack in packs], catalogue, applied)


def _applied_for(facts, packs, catalogue) -> tuple[AppliedJurisdiction, ...]:
    """When the caller chose the packs itself: the applicability reasons of those packs."""
    known = {a.code: a for a in applicable(catalogue, facts, also=[code for code, _ in packs])}
    return tuple(known.get(code) or AppliedJurisdiction(code, ("pack evaluated on request",)) for code, _ in packs)


def combine(
    facts: ItemFacts,
    matches: Iterable[tuple[CompiledPack, Sequence[CompiledRule]]],
    catalogue: Catalogue | None = None,
    applied: Sequence[AppliedJurisdiction] | None = None,
) -> DecisionPlan:
    catalogue = catalogue or default_catalogue()
    packs, matched, enforced, shadow = [], [], [], []
    for pack, rules in matches:
        packs.append((pack.jurisdiction, pack.version))
        for rule in rules:
            matched.append(rule.ref)
            (enforced if rule.enforced else shadow).append(rule)
    applied = tuple(applied) if applied is not None else _applied_for(facts, packs, catalogue)
    if not matched:  # most items: nothing to combine
        return DecisionPlan(
            facts.item_id,
            facts.country,
            tuple(packs),
            (),
            (),
            "visible",
            (),
            None,
            (),
            None,
            None,
            (),
            (),
            (),
            None,
            None,
            applied,
        )

    remover = next((r.ref for r in enforced for a in r.actions if a.name == "remove"), None)
    actions = tuple(
        PlannedAction(a, r.ref, remover if (remover and a.name == "geo_restrict") else None)
        for r in enforced
        for a in r.actions
    )
    restricted = sorted({c for pa in actions if pa.action.name == "geo_restrict" for c in pa.action.get("countries")})
    visibility = "removed" if remover else "geo_restricted" if restricted else "visible"

    deadline_rule = min((r for r in enforced if r.deadline), key=lambda r: r.deadline.hours, default=None)
    deadline = deadline_rule.deadline if deadline_rule else None
    queue_requests = tuple(
        QueueRequest(a.get("queue"), a.get("priority", "normal"), r.deadline.hours if r.deadline else None, r.ref)
        for r in enforced
        for a in r.actions
        if a.name == "queue"
    )
    retention_rule = max((r for r in enforced if r.retention), key=lambda r: r.retention.approx_days, default=None)
    holds: dict[tuple[str, str], HoldRequirement] = {}
    for r in enforced:
        cls = r.content_class
        if cls is not None and cls.hold is not None:
            found = holds.get((cls.jurisdiction, cls.name))
            if found is None or cls.hold.approx_days > found.hold.approx_days:
                holds[(cls.jurisdiction, cls.name)] = HoldRequirement(cls.jurisdiction, cls.name, cls.hold, r.ref)

    return DecisionPlan(
        item_id=facts.item_id,
        country=facts.country,
        packs=tuple(packs),
        matched=tuple(matched),
        actions=actions,
        visibility=visibility,
        geo_restricted_in=tuple(restricted) if not remover else (),
        queue=_choose_queue(queue_requests, deadline),
        queue_requests=queue_requests,
        deadline=deadline,
        deadline_rule=deadline_rule.ref if deadline_rule else None,
        escalations=tuple(a for a in actions if a.action.name == "escalate"),
        authority_reports=tuple(a for a in actions if a.action.name == "report_authority"),
        shadow=tuple(ShadowHit(r.ref, r.actions, r.deadline) for r in shadow),
        statement_of_reasons=_statement_of_reasons(enforced, actions, restricted, remover, catalogue, facts, applied),
        evidence_retention=(retention_rule.retention, retention_rule.ref) if retention_rule else None,
        applied=applied,
        holds=tuple(holds.values()),
    )


def _choose_queue(requests: Sequence[QueueRequest], deadline: Deadline | None) -> QueueRequest | None:
    """One case per item: the queue of the most urgent request, with the strictest deadline overall."""
    if not requests:
        return None
    first = min(
        requests,
        key=lambda q: (q.deadline_hours if q.deadline_hours is not None else float("inf"), PRIORITY_RANK[q.priority]),
    )
    priority = PRIORITIES[min(PRIORITY_RANK[q.priority] for q in requests)]
    return QueueRequest(first.queue, priority, deadline.hours if deadline else None, first.rule)


def _statement_of_reasons(enforced, actions, restricted, remover, catalogue, facts, applied) -> dict | None:
    effective = [pa for pa in actions if pa.superseded_by is None and pa.action.name in SEVERITY]
    # Required where a jurisdiction that applied asks for it (the EU: DSA Art. 17), not by the uploader's country.
    if not effective or not catalogue.statement_of_reasons_required([a.code for a in applied]):
        return None
    decisive = min(effective, key=lambda pa: SEVERITY[pa.action.name])  # stable: earlier packs win ties
    rule = next(r for r in enforced if r.ref == decisive.rule)
    eu_eea = dsa.eu_eea_countries()
    if remover or not restricted or decisive.action.name != "geo_restrict":
        scope = sorted(eu_eea)  # remove, age_restrict, demote and label act everywhere
    else:
        scope = sorted(eu_eea.intersection(restricted))
        if not scope:
            return None  # restricted only outside the EU/EEA: nothing to state under the DSA
    fields = rule.legal.for_item(facts)
    return {
        **fields,
        "decision_visibility": sorted({VISIBILITY_BY_ACTION[pa.action.name] for pa in effective}),
        "territorial_scope": scope,
        "content_date": facts.content_date,
        "rule": rule.ref.to_dict(),
    }

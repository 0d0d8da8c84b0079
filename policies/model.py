"""Compiled packs and evaluation results: plain, immutable data the workbench can store."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from . import dsa
from .catalogue import ContentClass, Retention
from .conditions import CompiledCondition, Explanation
from .errors import Issue
from .facts import ItemFacts


@dataclass(frozen=True, slots=True)
class RuleRef:
    """Names a rule in a published pack: what every decision must cite."""

    jurisdiction: str
    pack_version: str
    rule_id: str

    def __str__(self) -> str:
        return f"{self.jurisdiction}@{self.pack_version}:{self.rule_id}"

    def to_dict(self) -> dict:
        return {"jurisdiction": self.jurisdiction, "pack_version": self.pack_version, "rule_id": self.rule_id}


@dataclass(frozen=True, slots=True)
class Action:
    name: str  # one of vocabulary.ACTIONS
    params: Mapping[str, object] = field(default_factory=lambda: MappingProxyType({}))

    def get(self, key: str, default=None):
        return self.params.get(key, default)

    def to_dict(self) -> dict:
        params = {k: (sorted(v) if isinstance(v, frozenset) else v) for k, v in self.params.items()}
        return {"action": self.name, **params}


@dataclass(frozen=True, slots=True)
class Deadline:
    hours: float
    source: str  # e.g. "content class EU/terrorist_content_removal_order" or "queue in_orders SLA"
    citation: str | None = None
    starts: str | None = None  # what starts the legal clock (order_receipt, notice_receipt, ...)

    def to_dict(self) -> dict:
        return {"hours": self.hours, "source": self.source, "citation": self.citation, "starts": self.starts}


@dataclass(frozen=True, slots=True)
class LegalMapping:
    """The rule's DSA statement-of-reasons fields, as written in the pack."""

    fields: Mapping[str, object]

    @property
    def decision_ground(self) -> str:
        return self.fields["decision_ground"]

    @property
    def category(self) -> str:
        return self.fields["category"]

    def for_item(self, facts: ItemFacts) -> dict:
        """The fields for this item's statement of reasons: content_type narrowed to the item."""
        out = {k: (list(v) if isinstance(v, tuple) else v) for k, v in self.fields.items()}
        listed = out.get("content_type")
        own = dsa.CONTENT_TYPE_BY_KIND.get(facts.kind)
        if own and (not listed or own in listed):
            out["content_type"] = [own]
        elif not listed:
            out["content_type"] = ["CONTENT_TYPE_OTHER"]
            out["content_type_other"] = facts.kind
        return out


@dataclass(frozen=True, slots=True)
class CompiledRule:
    ref: RuleRef
    description: str
    mode: str  # enforce | shadow
    condition: CompiledCondition
    actions: tuple[Action, ...]
    legal: LegalMapping
    deadline: Deadline | None  # the shortest of the rule's, its content class's and its SLAs
    content_class: ContentClass | None
    retention: Retention | None
    line: int  # where the rule starts in the pack's YAML, for the editor
    tags: tuple[str, ...] = ()

    @property
    def id(self) -> str:
        return self.ref.rule_id

    @property
    def enforced(self) -> bool:
        return self.mode == "enforce"


@dataclass(frozen=True, slots=True)
class CompiledPack:
    jurisdiction: str
    version: str
    name: str
    territory: frozenset[str] | None  # None = worldwide
    rules: tuple[CompiledRule, ...]
    source_sha256: str  # of the YAML text, so a stored decision can prove which text it ran
    warnings: tuple[Issue, ...] = ()

    def matching_rules(self, facts: ItemFacts) -> list[CompiledRule]:
        """The fast path (backtests, the pipeline): only the rules whose condition holds."""
        return [rule for rule in self.rules if rule.condition.test(facts)]

    def rule(self, rule_id: str) -> CompiledRule:
        for rule in self.rules:
            if rule.id == rule_id:
                return rule
        raise KeyError(rule_id)


@dataclass(frozen=True, slots=True)
class RuleResult:
    """One rule against one item: the "test a rule on one item" view."""

    ref: RuleRef
    description: str
    matched: bool
    mode: str
    actions: tuple[Action, ...]
    deadline: Deadline | None
    legal: LegalMapping
    explanation: Explanation | None

    @property
    def acts(self) -> bool:
        return self.matched and self.mode == "enforce"

    def to_dict(self) -> dict:
        return {
            **self.ref.to_dict(),
            "description": self.description,
            "matched": self.matched,
            "mode": self.mode,
            "actions": [a.to_dict() for a in self.actions],
            "deadline": self.deadline.to_dict() if self.deadline else None,
            "legal": dict(self.legal.fields),
            "explanation": self.explanation.to_dict() if self.explanation else None,
            "why": self.explanation.render() if self.explanation else None,
        }


def evaluate_pack(pack: CompiledPack, facts: ItemFacts, *, explain: bool = True) -> list[RuleResult]:
    """Every rule of the pack against one item, with the reasons when `explain` is set."""
    results = []
    for rule in pack.rules:
        explanation = rule.condition.explain(facts) if explain else None
        matched = explanation.passed if explanation is not None else rule.condition.test(facts)
        results.append(
            RuleResult(
                rule.ref, rule.description, matched, rule.mode, rule.actions, rule.deadline, rule.legal, explanation
            )
        )
    return results

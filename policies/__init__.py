"""Region-specific moderation policy: rule packs in YAML, a jurisdiction catalogue, an evaluator.

Pure Python, no Flask and no workbench imports. The usual calls:

    report = validate_pack_text(text)            # issues with line/column, never raises
    pack = compile_pack_text(text, version="7")  # raises PackInvalid
    policies = PolicySet([pack, ...])            # or PolicySet.defaults()
    plan = policies.decide(ItemFacts(kind="text", country="DE", visible_in=["DE", "FR"], ...))
    plan.applied                                 # whose law applied, and why (policies.applicability)
    results = policies.explain(facts)            # every rule, matched or not, and why
    diff = diff_pack_texts(old_text, new_text)
"""

from .applicability import AppliedJurisdiction, applicable
from .catalogue import (
    AuthorityProblem,
    Catalogue,
    ContentClass,
    Jurisdiction,
    JurisdictionNote,
    RankRequirement,
    Retention,
    default_catalogue,
    load_catalogue,
)
from .compiler import ValidationReport, compile_pack_text, validate_pack_text
from .conditions import Explanation
from .diff import FieldChange, PackDiff, diff_pack_texts, unified_diff
from .errors import Issue, PackInvalid, PolicyError, UnknownJurisdiction
from .facts import HashMatch, ItemFacts, Report
from .holds import HoldRequirement, HoldRule
from .model import Action, CompiledPack, CompiledRule, Deadline, LegalMapping, RuleRef, RuleResult, evaluate_pack
from .plan import DecisionPlan, PlannedAction, QueueRequest, ShadowHit, combine, plan_decision
from .policy_set import PolicySet, default_pack_texts
from .schema_check import pack_schema
from .yaml_limits import DEFAULT_LIMITS, DocumentTooComplex, YamlLimits

__all__ = [
    "DEFAULT_LIMITS",
    "Action",
    "AppliedJurisdiction",
    "AuthorityProblem",
    "Catalogue",
    "CompiledPack",
    "CompiledRule",
    "ContentClass",
    "Deadline",
    "DecisionPlan",
    "DocumentTooComplex",
    "Explanation",
    "FieldChange",
    "HashMatch",
    "HoldRequirement",
    "HoldRule",
    "Issue",
    "ItemFacts",
    "Jurisdiction",
    "JurisdictionNote",
    "LegalMapping",
    "PackDiff",
    "PackInvalid",
    "PlannedAction",
    "PolicyError",
    "PolicySet",
    "QueueRequest",
    "RankRequirement",
    "Report",
    "Retention",
    "RuleRef",
    "RuleResult",
    "ShadowHit",
    "UnknownJurisdiction",
    "ValidationReport",
    "YamlLimits",
    "applicable",
    "combine",
    "compile_pack_text",
    "default_catalogue",
    "default_pack_texts",
    "diff_pack_texts",
    "evaluate_pack",
    "load_catalogue",
    "pack_schema",
    "plan_decision",
    "unified_diff",
    "validate_pack_text",
]

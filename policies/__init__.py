"""Region-specific moderation policy: rule packs in YAML, a jurisdiction catalogue, an evaluator.

Pure Python, no Flask and no workbench imports. The usual calls:

    report = validate_pack_text(text)            # issues with line/column, never raises
    pack = compile_pack_text(text, version="7")  # raises PackInvalid
    policies = PolicySet([pack, ...])            # or PolicySet.defaults()
    plan = policies.decide(ItemFacts(kind="text", country="DE", ...))
    results = policies.explain(facts)            # every rule, matched or not, and why
    diff = diff_pack_texts(old_text, new_text)
"""

from .catalogue import Catalogue, ContentClass, Jurisdiction, Retention, default_catalogue, load_catalogue
from .compiler import ValidationReport, compile_pack_text, validate_pack_text
from .conditions import Explanation
from .diff import FieldChange, PackDiff, diff_pack_texts, unified_diff
from .errors import Issue, PackInvalid, PolicyError, UnknownJurisdiction
from .facts import HashMatch, ItemFacts, Report
from .model import Action, CompiledPack, CompiledRule, Deadline, LegalMapping, RuleRef, RuleResult, evaluate_pack
from .plan import DecisionPlan, PlannedAction, QueueRequest, ShadowHit, combine, plan_decision
from .policy_set import PolicySet, default_pack_texts
from .schema_check import pack_schema
from .yaml_limits import DEFAULT_LIMITS, DocumentTooComplex, YamlLimits

__all__ = [
    "DEFAULT_LIMITS",
    "Action",
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
    "Issue",
    "ItemFacts",
    "Jurisdiction",
    "LegalMapping",
    "PackDiff",
    "PackInvalid",
    "PlannedAction",
    "PolicyError",
    "PolicySet",
    "QueueRequest",
    "Report",
    "Retention",
    "RuleRef",
    "RuleResult",
    "ShadowHit",
    "UnknownJurisdiction",
    "ValidationReport",
    "YamlLimits",
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

"""Pack text -> validated, compiled pack. Every problem comes back as an Issue with its line.

validate_pack_text() never raises on bad input (the editor shows the issues inline);
compile_pack_text() raises PackInvalid, so a broken draft can never replace a published pack.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from types import MappingProxyType

from . import vocabulary as v
from .catalogue import GLOBAL, Catalogue, default_catalogue
from .conditions import ConditionError, compile_condition
from .errors import Issue, PackInvalid, UnknownJurisdiction, format_path
from .model import Action, CompiledPack, CompiledRule, Deadline, LegalMapping, RuleRef
from .schema_check import schema_issues
from .yaml_limits import DEFAULT_LIMITS, DocumentTooComplex, YamlLimits
from .yaml_source import SourceMap, load_yaml_with_marks

try:  # pycountry is a project dependency; without it any two capital letters pass
    import pycountry
except ImportError:  # pragma: no cover
    pycountry = None


@dataclass
class ValidationReport:
    issues: list[Issue] = field(default_factory=list)  # errors and warnings, by line
    data: dict | None = None
    pack: CompiledPack | None = None  # set when there are no errors
    limit: str | None = None  # the YamlLimits bound the text is over ("bytes", "aliases", ...): not loaded

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "error"]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if i.severity == "warning"]

    @property
    def valid(self) -> bool:
        return not self.errors

    def to_dict(self) -> dict:
        return {"valid": self.valid, "issues": [i.to_dict() for i in self.issues]}


class _Problems:
    """Collects issues against paths, resolving each path to its line once."""

    def __init__(self, source: SourceMap):
        self.source = source
        self.items: list[Issue] = []

    def add(self, path: tuple, message: str, severity: str = "error", at_key: bool = False):
        line, column = self.source.locate_key(path) if at_key else self.source.locate(path)
        self.items.append(Issue(line, column, format_path(path), message, severity))


def validate_pack_text(
    text: str, *, catalogue: Catalogue | None = None, version: str | None = None, limits: YamlLimits = DEFAULT_LIMITS
) -> ValidationReport:
    """Parses, schema-checks and compiles; returns every issue instead of raising."""
    report = ValidationReport()
    try:
        data, source = load_yaml_with_marks(text, limits)
    except DocumentTooComplex as exc:
        report.issues, report.limit = exc.issues, exc.limit
        return report
    except PackInvalid as exc:
        report.issues = exc.issues
        return report
    if not isinstance(data, dict):
        report.issues = [Issue(1, 1, "", "a pack is a mapping with jurisdiction, version and rules")]
        return report
    report.data = data
    report.issues = schema_issues(data, source)
    if report.errors:
        return report
    problems = _Problems(source)
    pack = _compile(data, text, problems, catalogue or default_catalogue(), version)
    report.issues = sorted(problems.items, key=lambda i: (i.line, i.column))
    if not report.errors:
        report.pack = pack
    return report


def compile_pack_text(
    text: str, *, catalogue: Catalogue | None = None, version: str | None = None, limits: YamlLimits = DEFAULT_LIMITS
) -> CompiledPack:
    """Compiles a pack for evaluation. `version` overrides the pack's own (e.g. the stored version number)."""
    report = validate_pack_text(text, catalogue=catalogue, version=version, limits=limits)
    if not report.valid:
        raise PackInvalid(report.errors)
    return report.pack


def _check_jurisdiction(code: str, catalogue: Catalogue, problems: _Problems) -> frozenset[str] | None:
    if code in (GLOBAL, "EU") and catalogue.get(code) is None:
        problems.add(("jurisdiction",), f"the catalogue has no {code} entry")
        return None
    if code not in (GLOBAL, "EU") and catalogue.get(code) is None and pycountry is not None:
        if pycountry.countries.get(alpha_2=code) is None:
            hint = " (the United Kingdom is GB)" if code == "UK" else " (Greece is GR)" if code == "EL" else ""
            problems.add(("jurisdiction",), f"{code} is not an ISO 3166-1 alpha-2 country code{hint}")
            return None
    try:
        return catalogue.territory(code)
    except UnknownJurisdiction:
        problems.add(("jurisdiction",), f"unknown jurisdiction {code}")
        return None


def _compile_actions(raw, path: tuple, jurisdiction: str, territory, problems: _Problems) -> tuple[Action, ...]:
    items = raw if isinstance(raw, list) else [raw]
    actions = []
    for i, item in enumerate(items):
        item_path = path + (i,) if isinstance(raw, list) else path
        spec = {"action": item} if isinstance(item, str) else dict(item)
        name = spec.pop("action")
        if name == "geo_restrict":
            countries = frozenset(spec.get("countries") or territory or ())
            if not countries:
                problems.add(item_path, "a GLOBAL pack must list the countries to geo-restrict in")
            elif territory is not None and not countries <= territory:
                outside = ", ".join(sorted(countries - territory))
                problems.add(
                    item_path + ("countries",),
                    f"a {jurisdiction} pack cannot geo-restrict outside its territory: {outside}",
                )
            spec["countries"] = countries
        if name == "queue":
            spec.setdefault("priority", "normal")
        if name == "age_restrict":
            spec.setdefault("min_age", 18)
        actions.append(Action(name, MappingProxyType(spec)))
    names = [a.name for a in actions]
    if "no_action" in names and len(actions) > 1:
        problems.add(path, "no_action cannot be combined with other actions")
    repeated = {n for n in names if names.count(n) > 1} - {"label", "report_authority"}
    if repeated:
        problems.add(path, f"{', '.join(sorted(repeated))} is listed twice")
    return tuple(actions)


def _rule_deadline(rule: dict, actions, content_class, path: tuple, problems: _Problems) -> Deadline | None:
    candidates: list[Deadline] = []
    if content_class is not None and content_class.deadline_hours is not None:
        candidates.append(
            Deadline(
                float(content_class.deadline_hours),
                f"content class {content_class.jurisdiction}/{content_class.name}",
                content_class.citation,
                content_class.starts,
            )
        )
    if "deadline_hours" in rule:
        candidates.append(Deadline(float(rule["deadline_hours"]), "rule deadline_hours"))
        if candidates[0].source.startswith("content class") and rule["deadline_hours"] > candidates[0].hours:
            problems.add(
                path + ("deadline_hours",),
                f"longer than the legal deadline of {candidates[0].hours:g} h "
                f"({candidates[0].source}); the legal one applies",
                "warning",
            )
    for action in actions:
        if action.name == "queue" and action.get("sla_hours") is not None:
            candidates.append(Deadline(float(action.get("sla_hours")), f"queue {action.get('queue')} SLA"))
        if action.name == "report_authority" and action.get("deadline_hours") is not None:
            candidates.append(Deadline(float(action.get("deadline_hours")), f"report to {action.get('authority')}"))
    # Strictest wins; on a tie the legal citation is kept because it comes first.
    return min(candidates, key=lambda d: d.hours) if candidates else None


def _compile_rule(
    rule: dict, index: int, pack_ref: tuple[str, str], territory, catalogue: Catalogue, problems: _Problems
) -> CompiledRule | None:
    path = ("rules", index)
    jurisdiction, version = pack_ref
    try:
        condition = compile_condition(rule["condition"], path + ("condition",), catalogue.unions())
    except ConditionError as exc:
        problems.add(exc.path, exc.message)
        return None
    for name, signal_path in condition.signal_uses:
        if name not in v.KNOWN_SIGNALS:
            problems.add(signal_path, f"signal {name!r} is not produced by any known classifier", "warning")
    actions = _compile_actions(rule["outcome"], path + ("outcome",), jurisdiction, territory, problems)
    content_class = None
    if "content_class" in rule:
        content_class = catalogue.content_class(jurisdiction, rule["content_class"])
        if content_class is None:
            known = ", ".join(catalogue.content_class_names(jurisdiction)) or "none"
            problems.add(
                path + ("content_class",),
                f"unknown content class {rule['content_class']!r} for {jurisdiction}; known: {known}",
            )
    legal = LegalMapping(
        MappingProxyType({k: (tuple(x) if isinstance(x, list) else x) for k, x in rule["legal"].items()})
    )
    return CompiledRule(
        ref=RuleRef(jurisdiction, version, rule["id"]),
        description=rule["description"],
        mode=rule.get("mode", "enforce"),
        condition=condition,
        actions=actions,
        legal=legal,
        deadline=_rule_deadline(rule, actions, content_class, path, problems),
        content_class=content_class,
        retention=content_class.retention if content_class else None,
        line=problems.source.locate(path)[0],
        tags=tuple(rule.get("tags", ())),
    )


def _compile(data: dict, text: str, problems: _Problems, catalogue: Catalogue, version: str | None) -> CompiledPack:
    jurisdiction = data["jurisdiction"]
    version = str(version if version is not None else data["version"])
    territory = _check_jurisdiction(jurisdiction, catalogue, problems)
    seen: dict[str, int] = {}
    rules = []
    for index, raw in enumerate(data["rules"]):
        if raw["id"] in seen:
            problems.add(("rules", index, "id"), f"rule id {raw['id']!r} is already used by rules[{seen[raw['id']]}]")
            continue
        seen[raw["id"]] = index
        compiled = _compile_rule(raw, index, (jurisdiction, version), territory, catalogue, problems)
        if compiled is not None:
            rules.append(compiled)
    for index, raw in enumerate(data["rules"]):
        for category in _report_categories(raw["condition"]):
            if category not in v.REPORT_CATEGORIES:
                problems.add(
                    ("rules", index, "condition"),
                    f"report category {category!r} is not one the default packs use; check the platform sends it",
                    "warning",
                )
    return CompiledPack(
        jurisdiction=jurisdiction,
        version=version,
        name=str(data.get("name", jurisdiction)),
        territory=territory,
        rules=tuple(rules),
        source_sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        warnings=tuple(i for i in problems.items if i.severity == "warning"),
    )


def _report_categories(cond: dict):
    for key in ("all", "any"):
        for child in cond.get(key, ()):
            yield from _report_categories(child)
    if "not" in cond:
        yield from _report_categories(cond["not"])
    if "report" in cond and cond["report"] and "category" in cond["report"]:
        value = cond["report"]["category"]
        yield from (value if isinstance(value, list) else [value])

"""Readable differences between two pack texts: rules added/removed/changed, and a text diff."""

from __future__ import annotations

import difflib
from dataclasses import dataclass, field

from .errors import PackInvalid, format_path
from .yaml_source import load_yaml_with_marks

_MISSING = object()


@dataclass(frozen=True, slots=True)
class FieldChange:
    path: str  # inside the rule (or the pack, for metadata), e.g. "condition.all[0].value"
    old: object  # None when added
    new: object  # None when removed
    kind: str  # "changed" | "added" | "removed"

    def __str__(self) -> str:
        if self.kind == "added":
            return f"{self.path}: added {self.new!r}"
        if self.kind == "removed":
            return f"{self.path}: removed (was {self.old!r})"
        return f"{self.path}: {self.old!r} -> {self.new!r}"

    def to_dict(self) -> dict:
        return {"path": self.path, "old": self.old, "new": self.new, "kind": self.kind}


@dataclass
class PackDiff:
    metadata: list[FieldChange] = field(default_factory=list)
    rules_added: list[str] = field(default_factory=list)
    rules_removed: list[str] = field(default_factory=list)
    rules_changed: dict[str, list[FieldChange]] = field(default_factory=dict)
    order_changed: bool = False
    unified: str = ""
    error: str | None = None  # set when one side is not valid YAML: only the text diff is shown

    @property
    def empty(self) -> bool:
        return not (
            self.metadata
            or self.rules_added
            or self.rules_removed
            or self.rules_changed
            or self.order_changed
            or self.error
        )

    def render(self) -> str:
        if self.error:
            return f"structural diff unavailable: {self.error}"
        lines = [f"pack: {c}" for c in self.metadata]
        lines += [f"+ rule {rid}" for rid in self.rules_added]
        lines += [f"- rule {rid}" for rid in self.rules_removed]
        for rid, changes in self.rules_changed.items():
            lines.append(f"~ rule {rid}")
            lines += [f"    {c}" for c in changes]
        if self.order_changed:
            lines.append("rule order changed")
        return "\n".join(lines) or "no changes"

    def to_dict(self) -> dict:
        return {
            "metadata": [c.to_dict() for c in self.metadata],
            "rules_added": self.rules_added,
            "rules_removed": self.rules_removed,
            "rules_changed": {rid: [c.to_dict() for c in cs] for rid, cs in self.rules_changed.items()},
            "order_changed": self.order_changed,
            "unified": self.unified,
            "error": self.error,
        }


def _changes(old, new, path: tuple = ()) -> list[FieldChange]:
    if isinstance(old, dict) and isinstance(new, dict):
        out = []
        for key in list(old) + [k for k in new if k not in old]:
            out += _changes(old.get(key, _MISSING), new.get(key, _MISSING), path + (key,))
        return out
    if isinstance(old, list) and isinstance(new, list):
        out = []
        for i in range(max(len(old), len(new))):
            out += _changes(old[i] if i < len(old) else _MISSING, new[i] if i < len(new) else _MISSING, path + (i,))
        return out
    if old is _MISSING:
        return [FieldChange(format_path(path), None, new, "added")]
    if new is _MISSING:
        return [FieldChange(format_path(path), old, None, "removed")]
    if old != new or type(old) is not type(new):
        return [FieldChange(format_path(path), old, new, "changed")]
    return []


def _rules_by_id(data) -> dict:
    rules = data.get("rules") if isinstance(data, dict) else None
    return {r["id"]: r for r in rules or () if isinstance(r, dict) and "id" in r}


def unified_diff(old_text: str, new_text: str, old_name: str = "old", new_name: str = "new") -> str:
    return "".join(
        difflib.unified_diff(old_text.splitlines(keepends=True), new_text.splitlines(keepends=True), old_name, new_name)
    )


def diff_pack_texts(old_text: str, new_text: str, old_name: str = "old", new_name: str = "new") -> PackDiff:
    """Structural and text diff of two pack versions (drafts may be invalid: the text diff still works)."""
    result = PackDiff(unified=unified_diff(old_text, new_text, old_name, new_name))
    try:
        old, _ = load_yaml_with_marks(old_text)
        new, _ = load_yaml_with_marks(new_text)
    except PackInvalid as exc:
        result.error = str(exc)
        return result
    old = old if isinstance(old, dict) else {}
    new = new if isinstance(new, dict) else {}
    result.metadata = _changes(
        {k: v for k, v in old.items() if k != "rules"}, {k: v for k, v in new.items() if k != "rules"}
    )
    old_rules, new_rules = _rules_by_id(old), _rules_by_id(new)
    result.rules_added = [rid for rid in new_rules if rid not in old_rules]
    result.rules_removed = [rid for rid in old_rules if rid not in new_rules]
    for rid, rule in new_rules.items():
        if rid in old_rules:
            changes = _changes(old_rules[rid], rule)
            if changes:
                result.rules_changed[rid] = changes
    kept_old = [rid for rid in old_rules if rid in new_rules]
    kept_new = [rid for rid in new_rules if rid in old_rules]
    result.order_changed = kept_old != kept_new
    return result

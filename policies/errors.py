"""Errors and validation issues that point at a line of the pack's YAML source."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Issue:
    """One problem found in a pack. `line` and `column` are 1-based; 0 means unknown."""

    line: int
    column: int
    path: str  # e.g. "rules[2].condition.all[0].op"; "" for the document itself
    message: str
    severity: str = "error"  # "error" blocks publishing; "warning" does not

    def __str__(self) -> str:
        where = f"line {self.line}, column {self.column}" if self.line else "document"
        at = f" at {self.path}" if self.path else ""
        return f"{where}{at}: {self.message}"

    def to_dict(self) -> dict:
        return {
            "line": self.line,
            "column": self.column,
            "path": self.path,
            "message": self.message,
            "severity": self.severity,
        }


class PolicyError(Exception):
    """Base class of the errors this library raises."""


class PackInvalid(PolicyError):
    """The pack text is not valid YAML, or does not match the schema or the semantic checks."""

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        first = str(self.issues[0]) if self.issues else "invalid pack"
        more = f" (and {len(self.issues) - 1} more)" if len(self.issues) > 1 else ""
        super().__init__(first + more)


class UnknownJurisdiction(PolicyError):
    """A jurisdiction code that the catalogue does not know and that is not ISO 3166-1 alpha-2."""


def format_path(parts) -> str:
    """("rules", 2, "condition") -> "rules[2].condition"."""
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out

"""Checks pack data against the JSON Schema and reports each error at its YAML line."""

from __future__ import annotations

import json
import re
from functools import lru_cache
from pathlib import Path

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from .errors import Issue, format_path
from .yaml_source import SourceMap

SCHEMA_PATH = Path(__file__).parent / "schema" / "pack.schema.json"
_MAX_LISTED = 12  # enum errors list at most this many allowed values


@lru_cache(maxsize=1)
def pack_schema() -> dict:
    with open(SCHEMA_PATH, encoding="utf-8") as fh:
        return json.load(fh)


@lru_cache(maxsize=1)
def _validator() -> Draft202012Validator:
    return Draft202012Validator(pack_schema())


def _quoted_names(message: str) -> list[str]:
    return re.findall(r"'([^']+)'", message)


def _message(error: ValidationError) -> str:
    schema = error.schema if isinstance(error.schema, dict) else {}
    custom = schema.get("x-message")
    if custom and error.validator in ("anyOf", "pattern", "enum", "required", "maxProperties", "not"):
        return custom
    if error.validator == "enum":
        allowed = [str(x) for x in error.validator_value]
        shown = ", ".join(allowed[:_MAX_LISTED]) + (
            f" (+{len(allowed) - _MAX_LISTED} more)" if len(allowed) > _MAX_LISTED else ""
        )
        return f"{error.instance!r} is not allowed here; expected one of: {shown}"
    if error.validator in ("additionalProperties", "unevaluatedProperties"):
        names = _quoted_names(error.message) or ["?"]
        return f"unknown key {', '.join(repr(n) for n in names)} here"
    if error.validator == "maxLength":
        return f"too long: {len(error.instance)} characters, at most {error.validator_value} allowed"
    return error.message


def _position(error: ValidationError, source: SourceMap) -> tuple[int, int]:
    path = tuple(error.absolute_path)
    if error.validator in ("additionalProperties", "unevaluatedProperties") and isinstance(error.instance, dict):
        for name in _quoted_names(error.message):
            if name in error.instance:
                return source.locate_key(path + (name,))
    if "propertyNames" in error.relative_schema_path and isinstance(error.instance, str):
        return source.locate_key(path + (error.instance,))  # the offending key itself
    return source.locate(path)


def _leaf_errors(error: ValidationError):
    """Replaces an anyOf failure over "value or list of values" with its most useful branch."""
    schema = error.schema if isinstance(error.schema, dict) else {}
    if error.validator == "anyOf" and error.context and not schema.get("x-message", "").startswith("a condition"):
        yield best_match(error.context)
    else:
        yield error


def schema_issues(data, source: SourceMap) -> list[Issue]:
    issues: dict[tuple, Issue] = {}
    for top in _validator().iter_errors(data):
        for error in _leaf_errors(top):
            line, column = _position(error, source)
            issue = Issue(line, column, format_path(error.absolute_path), _message(error))
            issues.setdefault((line, column, issue.message), issue)
    return sorted(issues.values(), key=lambda i: (i.line, i.column, i.path))

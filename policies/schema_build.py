"""Builds the JSON Schema of a policy pack (policies/schema/pack.schema.json).

The JSON file is what editors and the validator use; this module is how it is produced, so the
DSA enums come from one copy. Regenerate after changing the vocabulary:

    .venv/bin/python -m policies.schema_build > policies/schema/pack.schema.json

A test fails when the file and this builder disagree. `x-message` is our own keyword: the
validator shows it instead of jsonschema's generic text when that subschema fails.
"""

from __future__ import annotations

import json
import re

from . import dsa
from . import vocabulary as v

_OPS_RE = "(>=|<=|==|!=|>|<)"
SIGNAL_COMPACT_PATTERN = r"^\s*[A-Za-z][A-Za-z0-9_.:-]*\s*" + _OPS_RE + r"\s*-?[0-9]+(\.[0-9]+)?\s*$"
FIELD_COMPACT_PATTERN = r"^\s*(" + "|".join(v.ITEM_FIELDS) + r")\s*" + _OPS_RE + r"\s*[A-Za-z0-9_.-]+\s*$"


def _one_or_many(item: dict) -> dict:
    return {
        "anyOf": [item, {"type": "array", "items": item, "minItems": 1, "uniqueItems": True}],
        "x-message": "expected a value or a non-empty list of values",
    }


def _text(max_length: int, min_length: int = 1) -> dict:
    return {"type": "string", "minLength": min_length, "maxLength": max_length}


def _issuers() -> dict:
    # One schema for "IN" and [IN, EU] (pattern applies to strings, items to lists), so that
    # either mistake gets the same message rather than "is not of type 'array'".
    message = "issued_in is a country code like IN, a union like EU, or a list of them"
    code = {"type": "string", "pattern": v.ISSUER_PATTERN, "x-message": message}
    return {**code, "type": ["string", "array"], "items": code, "minItems": 1, "uniqueItems": True}


def _when(key: str, value: str, then: dict) -> dict:
    return {"if": {"properties": {key: {"const": value}}, "required": [key]}, "then": then}


def _condition() -> dict:
    kinds = ["all", "any", "not", "signal", "field", "hash", "report"]
    signal = {
        "properties": {"signal": {"type": "string"}, "op": {"enum": list(v.NUMERIC_OPS)}, "value": {"type": "number"}},
        "propertyNames": {
            "enum": ["signal", "op", "value"],
            "x-message": "a signal comparison has only signal, op and value",
        },
        "if": {"required": ["op"]},
        "then": {"required": ["value"], "properties": {"signal": {"pattern": v.NAME_PATTERN}}},
        "else": {
            "properties": {
                "signal": {
                    "pattern": SIGNAL_COMPACT_PATTERN,
                    "x-message": 'expected "label >= 0.9" (or signal/op/value keys)',
                },
                "value": {"not": {}, "x-message": "value belongs to the long form (signal, op, value)"},
            }
        },
    }
    field = {
        "properties": {
            "field": {"type": "string"},
            "op": {"enum": list(v.FIELD_OPS)},
            "value": {
                "anyOf": [
                    {"type": "string"},
                    {"type": "number"},
                    {"type": "array", "items": {"type": "string"}, "minItems": 1},
                ]
            },
        },
        "propertyNames": {
            "enum": ["field", "op", "value"],
            "x-message": "a field comparison has only field, op and value",
        },
        "if": {"required": ["op"]},
        "then": {"required": ["value"], "properties": {"field": {"enum": list(v.ITEM_FIELDS)}}},
        "else": {
            "properties": {
                "field": {
                    "pattern": FIELD_COMPACT_PATTERN,
                    "x-message": 'expected "account_age_days < 7" (or field/op/value keys)',
                },
                "value": {"not": {}, "x-message": "value belongs to the long form (field, op, value)"},
            }
        },
    }
    only_key = {"maxProperties": 1, "x-message": "this kind of condition takes no other keys"}
    return {
        "type": "object",
        "properties": {
            "all": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}},
            "any": {"type": "array", "minItems": 1, "items": {"$ref": "#/$defs/condition"}},
            "not": {"$ref": "#/$defs/condition"},
            "signal": True,
            "field": True,
            "op": True,
            "value": True,
            "hash": {"$ref": "#/$defs/hash_match"},
            "report": {"$ref": "#/$defs/report_match"},
        },
        "additionalProperties": False,
        "anyOf": [{"required": [k]} for k in kinds],
        "x-message": "a condition needs one of: " + ", ".join(kinds),
        "allOf": [
            *({"if": {"required": [k]}, "then": only_key} for k in ("all", "any", "not", "hash", "report")),
            {"if": {"required": ["signal"]}, "then": signal},
            {"if": {"required": ["field"]}, "then": field},
            {
                "if": {"not": {"anyOf": [{"required": ["signal"]}, {"required": ["field"]}]}},
                "then": {
                    "propertyNames": {
                        "not": {"enum": ["op", "value"]},
                        "x-message": "op and value belong to a signal or field comparison",
                    }
                },
            },
        ],
    }


def _action() -> dict:
    countries = {"type": "array", "items": {"pattern": v.COUNTRY_PATTERN}, "minItems": 1, "uniqueItems": True}
    branches = [
        _when("action", "geo_restrict", {"properties": {"countries": countries}}),
        _when("action", "age_restrict", {"properties": {"min_age": {"type": "integer", "minimum": 13, "maximum": 21}}}),
        _when("action", "label", {"required": ["label"], "properties": {"label": _text(100)}}),
        _when(
            "action",
            "demote",
            {"properties": {"factor": {"type": "number", "exclusiveMinimum": 0, "exclusiveMaximum": 1}}},
        ),
        _when(
            "action",
            "queue",
            {
                "required": ["queue"],
                "properties": {
                    "queue": {"type": "string", "pattern": v.NAME_PATTERN},
                    "priority": {"enum": list(v.PRIORITIES)},
                    "sla_hours": {"type": "number", "exclusiveMinimum": 0, "maximum": 8760},
                },
            },
        ),
        _when("action", "escalate", {"properties": {"to": _text(100), "reason": _text(500)}}),
        _when(
            "action",
            "report_authority",
            {
                "required": ["authority"],
                "properties": {
                    "authority": _text(100),
                    "deadline_hours": {"type": "number", "exclusiveMinimum": 0, "maximum": 8760},
                },
            },
        ),
    ]
    return {
        "if": {"type": "string"},
        "then": {
            "enum": ["remove", "geo_restrict", "age_restrict", "demote", "escalate", "no_action"],
            "x-message": "a bare action word must be one without required settings "
            "(remove, geo_restrict, age_restrict, demote, escalate, no_action)",
        },
        "else": {
            "type": "object",
            "required": ["action"],
            "properties": {"action": {"enum": list(v.ACTIONS)}},
            "allOf": branches,
            "unevaluatedProperties": False,
        },
    }


def _legal() -> dict:
    enums = dsa.dsa_enums()
    lim = dsa.LIMITS
    return {
        "type": "object",
        "required": ["decision_ground", "category"],
        "additionalProperties": False,
        "properties": {
            "decision_ground": {"enum": enums["DECISION_GROUNDS"]},
            "illegal_content_legal_ground": _text(lim["illegal_content_legal_ground"]),
            "illegal_content_explanation": _text(lim["illegal_content_explanation"]),
            "incompatible_content_ground": _text(lim["incompatible_content_ground"]),
            "incompatible_content_explanation": _text(lim["incompatible_content_explanation"]),
            "incompatible_content_illegal": {"enum": enums["INCOMPATIBLE_CONTENT_ILLEGALS"]},
            "category": {"enum": enums["STATEMENT_CATEGORIES"]},
            "category_addition": {
                "type": "array",
                "uniqueItems": True,
                "items": {"enum": enums["STATEMENT_CATEGORIES"]},
            },
            "category_specification": {"type": "array", "uniqueItems": True, "items": {"enum": enums["KEYWORDS"]}},
            "category_specification_other": _text(lim["category_specification_other"]),
            "content_type": {
                "type": "array",
                "minItems": 1,
                "uniqueItems": True,
                "items": {"enum": enums["CONTENT_TYPES"]},
            },
            "content_type_other": _text(lim["content_type_other"]),
            "decision_ground_reference_url": {**_text(lim["decision_ground_reference_url"]), "pattern": "^https?://"},
        },
        "allOf": [
            _when(
                "decision_ground",
                dsa.ILLEGAL,
                {
                    "required": ["illegal_content_legal_ground"],
                    "x-message": "illegal-content rules need illegal_content_legal_ground (the law, <= 500 chars)",
                },
            ),
            _when(
                "decision_ground",
                dsa.INCOMPATIBLE,
                {
                    "required": ["incompatible_content_ground"],
                    "x-message": "terms-of-service rules need incompatible_content_ground (the clause, <= 500 chars)",
                },
            ),
            {
                "if": {
                    "properties": {"content_type": {"contains": {"const": "CONTENT_TYPE_OTHER"}}},
                    "required": ["content_type"],
                },
                "then": {"required": ["content_type_other"]},
            },
            {
                "if": {
                    "properties": {"category_specification": {"contains": {"const": "KEYWORD_OTHER"}}},
                    "required": ["category_specification"],
                },
                "then": {"required": ["category_specification_other"]},
            },
        ],
    }


def build_pack_schema() -> dict:
    nonneg_int = {"type": "integer", "minimum": 0}
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "urn:workbench:policies:pack.schema.json",
        "title": "Policy pack",
        "description": "Region-specific moderation rules; see docs/policy-language.md.",
        "type": "object",
        "required": ["jurisdiction", "version", "rules"],
        "additionalProperties": False,
        "properties": {
            "jurisdiction": {
                "type": "string",
                "pattern": v.JURISDICTION_PATTERN,
                "x-message": "jurisdiction must be GLOBAL, EU or an ISO 3166-1 alpha-2 code like DE",
            },
            "name": _text(200),
            "description": _text(5000),
            "version": {"type": ["string", "integer"], "pattern": r"^[0-9A-Za-z][0-9A-Za-z._+-]{0,63}$"},
            "effective_from": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
            "owner": _text(200),
            "changelog": _text(5000),
            "rules": {"type": "array", "items": {"$ref": "#/$defs/rule"}},
        },
        "$defs": {
            "rule": {
                "type": "object",
                "required": ["id", "description", "condition", "outcome", "legal"],
                "additionalProperties": False,
                "properties": {
                    "id": {
                        "type": "string",
                        "pattern": v.RULE_ID_PATTERN,
                        "x-message": "rule ids are lower-case letters, digits, '.', '_' or '-' (max 80)",
                    },
                    "description": _text(1000),
                    "mode": {"enum": list(v.MODES)},
                    "condition": {"$ref": "#/$defs/condition"},
                    "outcome": {
                        "if": {"type": "array"},
                        "then": {"minItems": 1, "items": {"$ref": "#/$defs/action"}},
                        "else": {"$ref": "#/$defs/action"},
                    },
                    "content_class": {"type": "string", "pattern": r"^[a-z][a-z0-9_]{0,63}$"},
                    "deadline_hours": {"type": "number", "exclusiveMinimum": 0, "maximum": 8760},
                    "legal": {"$ref": "#/$defs/legal"},
                    "tags": {"type": "array", "items": {"type": "string", "pattern": v.NAME_PATTERN}},
                    "notes": _text(5000),
                },
            },
            "condition": _condition(),
            "hash_match": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "bank_kind": _one_or_many({"enum": list(v.BANK_KINDS)}),
                    "bank": _one_or_many({"type": "string", "minLength": 1, "maxLength": 200}),
                    "algorithm": _one_or_many({"enum": list(v.HASH_ALGORITHMS)}),
                    "max_distance": nonneg_int,
                },
            },
            "report_match": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "source": _one_or_many({"enum": list(v.REPORT_SOURCES)}),
                    "category": _one_or_many({"type": "string", "pattern": v.NAME_PATTERN}),
                    "issued_in": _issuers(),
                    "min_count": {"type": "integer", "minimum": 1},
                },
            },
            "action": _action(),
            "legal": _legal(),
        },
    }


def schema_json() -> str:
    return json.dumps(build_pack_schema(), indent=1, ensure_ascii=False) + "\n"


def compact_pattern(kind: str) -> re.Pattern:
    return re.compile(SIGNAL_COMPACT_PATTERN if kind == "signal" else FIELD_COMPACT_PATTERN)


if __name__ == "__main__":  # pragma: no cover
    print(schema_json(), end="")

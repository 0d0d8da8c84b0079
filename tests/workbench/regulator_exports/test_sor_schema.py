"""The statement-of-reasons JSON Schema kept in the repository: enums, lengths, conditional rules."""

from __future__ import annotations

import json

import pytest

from tests.support.reference import dsa_transparency_db_enums
from workbench.services.exports.sor import SCHEMA_PATH, sor_schema, statement_errors

VALID = {
    "decision_visibility": ["DECISION_VISIBILITY_CONTENT_REMOVED"],
    "decision_ground": "DECISION_GROUND_ILLEGAL_CONTENT",
    "illegal_content_legal_ground": "StGB § 130",
    "illegal_content_explanation": "Incitement to hatred.",
    "category": "STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH",
    "content_type": ["CONTENT_TYPE_TEXT"],
    "content_date": "2025-06-01",
    "application_date": "2025-06-02",
    "decision_facts": "Removed after review.",
    "source_type": "SOURCE_ARTICLE_16",
    "automated_detection": "No",
    "automated_decision": "AUTOMATED_DECISION_NOT_AUTOMATED",
    "puid": "wb-abc_123",
    "territorial_scope": ["DE", "GR"],
    "content_language": "DE",
}


def without(*keys, **changes) -> dict:
    return {**{k: v for k, v in VALID.items() if k not in keys}, **changes}


def test_the_schema_is_draft_2020_12_and_the_valid_statement_passes():
    from jsonschema import Draft202012Validator

    schema = json.loads(SCHEMA_PATH.read_text())
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    Draft202012Validator.check_schema(schema)
    assert statement_errors(VALID) == []


def test_schema_enums_are_the_references():
    reference = dsa_transparency_db_enums()
    props = sor_schema()["properties"]
    single = {
        "account_type": "ACCOUNT_TYPES",
        "decision_ground": "DECISION_GROUNDS",
        "category": "STATEMENT_CATEGORIES",
        "source_type": "SOURCE_TYPES",
        "automated_detection": "AUTOMATED_DETECTIONS",
        "automated_decision": "AUTOMATED_DECISIONS",
        "decision_monetary": "DECISION_MONETARIES",
        "decision_provision": "DECISION_PROVISIONS",
        "decision_account": "DECISION_ACCOUNTS",
        "content_language": "LANGUAGES",
        "incompatible_content_illegal": "INCOMPATIBLE_CONTENT_ILLEGALS",
    }
    arrays = {
        "decision_visibility": "DECISION_VISIBILITIES",
        "content_type": "CONTENT_TYPES",
        "category_addition": "STATEMENT_CATEGORIES",
        "category_specification": "KEYWORDS",
        "territorial_scope": "COUNTRIES",
    }
    for field, enum in single.items():
        assert props[field]["enum"] == reference[enum], field
    for field, enum in arrays.items():
        assert props[field]["items"]["enum"] == reference[enum], field


@pytest.mark.parametrize(
    "statement,field",
    [
        (without("illegal_content_legal_ground"), "illegal_content_legal_ground"),
        (without("illegal_content_explanation"), "illegal_content_explanation"),
        (without(decision_ground="DECISION_GROUND_INCOMPATIBLE_CONTENT"), "incompatible_content_ground"),
        (without(content_type=["CONTENT_TYPE_OTHER"]), "content_type_other"),
        (without(decision_visibility=["DECISION_VISIBILITY_OTHER"]), "decision_visibility_other"),
        (without("decision_visibility", decision_monetary="DECISION_MONETARY_OTHER"), "decision_monetary_other"),
        (without(category_specification=["KEYWORD_OTHER"]), "category_specification_other"),
        (without("decision_visibility"), "is not valid under any of the given schemas"),  # no restriction at all
        (without("puid"), "puid"),
        (without("decision_facts"), "decision_facts"),
    ],
)
def test_missing_required_or_conditional_fields_are_refused(statement, field):
    errors = statement_errors(statement)
    assert any(field in error for error in errors), errors


@pytest.mark.parametrize(
    "statement",
    [
        without(category="STATEMENT_CATEGORY_SPAM"),
        without(decision_visibility=["DECISION_VISIBILITY_CONTENT_HIDDEN"]),
        without(territorial_scope=["EL"]),  # Greece is GR in the database
        without(territorial_scope=["US"]),
        without(content_language="de"),
        without(automated_detection="yes"),
        without(source_type="SOURCE_USER"),
        without(content_type=[]),
        without(category_specification=["KEYWORD_SPAM"]),
        without(account_type="ACCOUNT_TYPE_PERSONAL"),
    ],
)
def test_bad_enum_values_are_refused(statement):
    assert statement_errors(statement)


@pytest.mark.parametrize(
    "statement",
    [
        without(decision_facts="x" * 5001),
        without(illegal_content_legal_ground="x" * 501),
        without(illegal_content_explanation="x" * 2001),
        without(puid="p" * 501),
        without(puid="has spaces"),
        without(puid="user@example.org"),
        without(source_identity="x" * 501),
        without(content_date="1999-12-31"),
        without(application_date="2019-12-31"),
        without(application_date="2025-02-30"),
        without(end_date_visibility_restriction="2038-01-02"),
        without(source_type="SOURCE_VOLUNTARY", source_identity="Someone"),
        without(surprise="field"),
    ],
)
def test_over_length_bad_dates_and_unknown_fields_are_refused(statement):
    assert statement_errors(statement)


def test_limits_are_inclusive():
    assert (
        statement_errors(
            without(
                decision_facts="x" * 5000,
                puid="p" * 500,
                end_date_visibility_restriction="2038-01-01",
                content_date="2000-01-01",
                application_date="2020-01-01",
            )
        )
        == []
    )


def test_a_batch_holds_1_to_100_statements():
    from jsonschema import Draft202012Validator
    from referencing import Registry, Resource

    schema = sor_schema()
    registry = Registry().with_resource(schema["$id"], Resource.from_contents(schema))
    batch = Draft202012Validator({"$ref": schema["$id"] + "#/$defs/batch"}, registry=registry)
    assert batch.is_valid({"statements": [VALID] * 100})
    assert not batch.is_valid({"statements": [VALID] * 101})
    assert not batch.is_valid({"statements": []})
    assert not batch.is_valid({"statements": [without("puid")]})

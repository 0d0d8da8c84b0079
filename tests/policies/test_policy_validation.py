"""Invalid YAML and schema errors point at the line; the default packs and the schema are sound."""

import json

import pytest

from policies import PackInvalid, compile_pack_text, default_pack_texts, validate_pack_text
from policies.schema_build import schema_json
from policies.schema_check import SCHEMA_PATH
from policies.yaml_source import load_yaml_with_marks

VALID = """\
jurisdiction: DE
version: "3"
rules:
  - id: de.rule
    description: A valid rule
    condition:
      all:
        - signal: "toxicity >= 0.9"
        - field: country
          op: in
          value: [DE, AT]
    outcome:
      - geo_restrict
      - {action: queue, queue: de_notices, priority: high, sla_hours: 24}
    legal:
      decision_ground: DECISION_GROUND_ILLEGAL_CONTENT
      illegal_content_legal_ground: "s. 130 StGB"
      category: STATEMENT_CATEGORY_ILLEGAL_OR_HARMFUL_SPEECH
"""


def replace_line(text, number, new):
    lines = text.splitlines()
    lines[number - 1] = new
    return "\n".join(lines) + "\n"


def test_valid_pack_compiles():
    report = validate_pack_text(VALID)
    assert report.valid, [str(i) for i in report.issues]
    assert report.pack.version == "3" and report.pack.rules[0].line == 4


@pytest.mark.parametrize(
    "line,new_text,expected_line,fragment",
    [
        (8, '        - signal: "toxicity => 0.9"', 8, "label >= 0.9"),
        (9, "        - field: colour", 9, "'colour' is not allowed"),
        (10, "          op: like", 10, "'like' is not allowed"),
        (13, "      - explode", 13, "bare action word"),
        (14, "      - {action: queue, queue: de_notices, priority: urgent}", 14, "'urgent' is not allowed"),
        (14, "      - {action: queue, queue: de_notices, colour: red}", 14, "unknown key 'colour'"),
        (15, "    lgal:", 4, "'legal' is a required property"),
        (17, "      illegal_content_legal_gound: x", 16, "need illegal_content_legal_ground"),
        (18, "      category: STATEMENT_CATEGORY_HATE", 18, "'STATEMENT_CATEGORY_HATE' is not allowed"),
        (1, "jurisdiction: Germany", 1, "GLOBAL, EU or an ISO"),
        (4, "  - id: De Rule", 4, "rule ids"),
        (5, "    description: " + "x" * 1001, 5, "too long"),
        (8, "        - report: {source: authority_order, issued_in: India}", 8, "issued_in is a country code"),
        (8, "        - report: {issued_in: [IN, eu]}", 8, "issued_in is a country code"),
    ],
)
def test_schema_errors_give_the_line(line, new_text, expected_line, fragment):
    report = validate_pack_text(replace_line(VALID, line, new_text))
    assert not report.valid
    assert any(i.line == expected_line and fragment in i.message for i in report.errors), [
        str(i) for i in report.errors
    ]
    assert all(i.column >= 1 for i in report.errors)


def test_dsa_length_limit_on_legal_ground():
    report = validate_pack_text(VALID.replace('"s. 130 StGB"', "x" * 501))
    assert [(i.line, i.path) for i in report.errors] == [(17, "rules[0].legal.illegal_content_legal_ground")]
    assert "at most 500" in report.errors[0].message
    assert validate_pack_text(VALID.replace('"s. 130 StGB"', "x" * 500)).valid


@pytest.mark.parametrize(
    "text,expected_line",
    [
        (VALID.replace("    condition:\n      all:", "    condition:\n\tall:"), 7),  # a tab as indentation
        (VALID.replace("[DE, AT]", "[DE, AT"), 12),  # unclosed flow sequence
        (VALID + "  - id: x\n   description: y\n", 20),  # line 20 is indented one space too far
        ('jurisdiction: "DE\nversion: 1\n', 3),  # unterminated string, reported where it ends
        ("jurisdiction: DE\nversion: 1\njurisdiction: FR\nrules: []\n", 3),  # duplicate key
    ],
)
def test_yaml_syntax_errors_give_the_line(text, expected_line):
    report = validate_pack_text(text)
    assert not report.valid
    assert report.errors[0].line == expected_line, str(report.errors[0])
    with pytest.raises(PackInvalid) as raised:
        compile_pack_text(text)
    assert f"line {expected_line}" in str(raised.value)


@pytest.mark.parametrize(
    "change,expected_line,fragment",
    [
        (("    condition:\n", "    content_class: no_such_class\n    condition:\n"), 6, "unknown content class"),
        (("  - geo_restrict", "  - {action: geo_restrict, countries: [FR]}"), 13, "outside its territory: FR"),
        (
            ("    outcome:\n      - geo_restrict\n", "    outcome:\n      - no_action\n"),
            13,
            "no_action cannot be combined",
        ),
        (("jurisdiction: DE", "jurisdiction: UK"), 1, "United Kingdom is GB"),
        (('"toxicity >= 0.9"', '"toxicity >= 0.9"\n        - {field: "kind == book"}'), 9, "kind is one of"),
        (("op: in", "op: '=='"), 10, "in / not_in"),
    ],
)
def test_semantic_errors_give_the_line(change, expected_line, fragment):
    report = validate_pack_text(VALID.replace(*change))
    assert not report.valid
    assert any(i.line == expected_line and fragment in i.message for i in report.errors), [
        str(i) for i in report.errors
    ]


def test_duplicate_rule_ids_point_at_the_second():
    rule = VALID[VALID.index("  - id:") :]
    report = validate_pack_text(VALID + rule)
    assert [(i.line, i.message[:30]) for i in report.errors] == [(19, "rule id 'de.rule' is already u")]


def test_unknown_signal_is_a_warning_not_an_error():
    report = validate_pack_text(VALID.replace("toxicity >= 0.9", "toxicty >= 0.9"))
    assert report.valid
    assert [(i.severity, i.line, i.column) for i in report.warnings] == [("warning", 8, 19)]
    assert "toxicty" in report.warnings[0].message


def test_norway_and_no_stay_strings():
    data, source = load_yaml_with_marks("countries: [NO, DE]\nillegal: No\nflag: true\nday: 2025-01-01\n")
    assert data == {"countries": ["NO", "DE"], "illegal": "No", "flag": True, "day": "2025-01-01"}
    assert source.locate(("countries", 1)) == (1, 17)
    assert source.locate(("day",)) == (4, 6)


def test_self_referencing_anchor_is_rejected():
    with pytest.raises(PackInvalid):
        load_yaml_with_marks("a: &x [*x]\n")


@pytest.mark.parametrize("code", sorted(default_pack_texts()))
def test_default_packs_validate_without_warnings(code):
    report = validate_pack_text(default_pack_texts()[code])
    assert report.valid and not report.warnings, [str(i) for i in report.issues]
    assert report.pack.jurisdiction == code
    assert report.pack.rules


def test_default_packs_cover_the_seven_jurisdictions():
    assert sorted(default_pack_texts()) == ["AU", "DE", "EU", "GB", "GLOBAL", "IN", "US"]


def test_schema_file_is_the_builder_output():
    # Regenerate with: .venv/bin/python -m policies.schema_build > policies/schema/pack.schema.json
    assert SCHEMA_PATH.read_text(encoding="utf-8") == schema_json()
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(json.loads(schema_json()))


@pytest.mark.parametrize(
    "condition_lines,expected_line,fragment",
    [
        (["      hash: {}", '      op: ">="'], 8, "op and value belong"),
        (['      signal: "toxicity >= 0.9"', "      value: 3"], 8, "value belongs to the long form"),
        (['      signal: "toxicity >= 0.9"', '      field: "kind == text"'], 8, "only signal, op and value"),
        (["      all: []"], 7, "should be non-empty"),
        (["      report: {source: police}"], 7, "'police' is not allowed"),
    ],
)
def test_condition_shape_errors_point_at_the_offending_key(condition_lines, expected_line, fragment):
    text = (
        "\n".join(
            [
                "jurisdiction: GLOBAL",
                "version: 1",
                "rules:",
                "  - id: r",
                "    description: d",
                "    condition:",
                *condition_lines,
                "    outcome: remove",
                "    legal: {decision_ground: DECISION_GROUND_INCOMPATIBLE_CONTENT, incompatible_content_ground: x,"
                " category: STATEMENT_CATEGORY_VIOLENCE}",
            ]
        )
        + "\n"
    )
    report = validate_pack_text(text)
    assert any(i.line == expected_line and fragment in i.message for i in report.errors), [
        str(i) for i in report.errors
    ]

"""YAML bombs and oversized packs are refused with a line, having built no more than the bounds."""

from __future__ import annotations

import pytest

from policies import (
    DEFAULT_LIMITS,
    DocumentTooComplex,
    PackInvalid,
    YamlLimits,
    default_pack_texts,
    diff_pack_texts,
    validate_pack_text,
)
from policies.yaml_source import load_yaml_with_marks


def billion_laughs(levels: int = 7, width: int = 9) -> str:
    """Each level lists the previous one `width` times: width**levels strings from a few hundred bytes."""
    lines = ["l0: &l0 [" + ",".join(['"lol"'] * width) + "]"]
    lines += [f"l{i}: &l{i} [" + ",".join([f"*l{i - 1}"] * width) + "]" for i in range(1, levels + 1)]
    return "\n".join(lines) + "\n"


def alias_line(text: str, limits: YamlLimits = DEFAULT_LIMITS, width: int = 9) -> tuple[int, int]:
    """Where the expansion passes max_aliases: the first alias of the level whose expansion does."""
    used = 0
    for line_number, line in enumerate(text.splitlines(), 1):
        level = line_number - 1
        if level == 0:
            continue
        used += sum(width**k for k in range(1, level + 1))  # a level-n list expands n levels of aliases
        if used > limits.max_aliases:
            return line_number, line.index("*") + 1
    raise AssertionError("the document stays under the limit")


def test_seven_level_billion_laughs_stops_at_the_alias_bound_with_its_line():
    text = billion_laughs(7)
    assert len(text.encode()) < 500  # what issue 16 measured: a few hundred bytes
    with pytest.raises(DocumentTooComplex) as caught:
        load_yaml_with_marks(text)
    assert caught.value.limit == "aliases"
    assert caught.value.aliases == DEFAULT_LIMITS.max_aliases + 1  # stopped at the first expansion over the bound
    assert caught.value.nodes <= DEFAULT_LIMITS.max_nodes  # about 9,000 values built, not 9**8 = 43 M
    issue = caught.value.issues[0]
    assert (issue.line, issue.column) == alias_line(text)
    assert "too many aliases" in issue.message


def test_the_validation_report_names_the_limit_and_the_line():
    report = validate_pack_text(billion_laughs(7))
    assert not report.valid and report.limit == "aliases" and report.data is None
    assert [(i.line, i.severity) for i in report.issues] == [(alias_line(billion_laughs(7))[0], "error")]


def test_a_long_flat_list_stops_at_the_node_bound():
    limits = YamlLimits(max_nodes=500)
    with pytest.raises(DocumentTooComplex) as caught:
        load_yaml_with_marks("rules: [" + ", ".join(["x"] * 2000) + "]\n", limits)
    assert caught.value.limit == "nodes" and caught.value.nodes == 501
    assert caught.value.issues[0].line == 1


def test_one_alias_to_a_large_value_repeated_stops_at_the_node_bound():
    limits = YamlLimits(max_nodes=1000, max_aliases=1000)
    text = "big: &big [" + ", ".join(["1"] * 300) + "]\nuses: [" + ", ".join(["*big"] * 50) + "]\n"
    with pytest.raises(DocumentTooComplex) as caught:
        load_yaml_with_marks(text, limits)
    assert caught.value.limit == "nodes" and caught.value.nodes == 1001
    # The third *big (columns 8, 14, 20) is the one whose expansion passes the bound.
    assert (caught.value.issues[0].line, caught.value.issues[0].column) == (2, 20)


def test_merge_keys_are_expanded_under_the_same_bounds():
    expression = "&m0 {a: 1}"
    for level in range(1, 8):  # each level merges the previous one nine times, defined inline
        expression = f"&m{level} {{<<: [{expression}, " + ", ".join([f"*m{level - 1}"] * 8) + "]}"
    with pytest.raises(DocumentTooComplex) as caught:
        load_yaml_with_marks("top: " + expression + "\n")
    assert caught.value.limit == "aliases" and caught.value.aliases == DEFAULT_LIMITS.max_aliases + 1


def test_a_plain_merge_still_works():
    data, _ = load_yaml_with_marks("base: &b {x: 1}\nm: {<<: *b, y: 2}\n")
    assert data == {"base": {"x": 1}, "m": {"x": 1, "y": 2}}


@pytest.mark.parametrize(
    "text,limit",
    [
        ("a: &x [*x]\n", "cycle"),
        ("a: &x {<<: *x}\n", "cycle"),
        ("a: " + "[" * 500 + "]" * 500 + "\n", "depth"),  # used to exhaust Python's stack (RecursionError)
        ("a:\n" + "".join("  " * i + f"k{i}:\n" for i in range(1, 80)), "depth"),
    ],
)
def test_cycles_and_deep_nesting_are_refused_before_recursing(text, limit):
    with pytest.raises(DocumentTooComplex) as caught:
        load_yaml_with_marks(text)
    assert caught.value.limit == limit and caught.value.issues[0].line >= 1


def test_a_document_just_over_the_size_limit_is_refused_before_parsing():
    limits = DEFAULT_LIMITS
    # Unclosed flow sequence at the start: any parse would report a syntax error instead.
    text = "rules: [\n" + "# padding\n" * (limits.max_bytes // 10 - 10)
    text += "x" * (limits.max_bytes + 1 - len(text.encode()))
    assert len(text.encode()) == limits.max_bytes + 1
    with pytest.raises(DocumentTooComplex) as caught:
        load_yaml_with_marks(text)
    assert caught.value.limit == "bytes" and caught.value.nodes == 0
    issue = caught.value.issues[0]
    assert issue.message.startswith(f"document larger than {limits.max_bytes:,} bytes")
    assert issue.line == text.count("\n") + 1  # the last line holds the byte over the limit
    load_yaml_with_marks("rules: []\n" + "#" * (limits.max_bytes - 11) + "\n")  # exactly at the limit: loads


def test_the_size_limit_counts_utf8_bytes_not_characters():
    text = "name: " + "é" * (DEFAULT_LIMITS.max_bytes // 2) + "\n"
    assert len(text) < DEFAULT_LIMITS.max_bytes < len(text.encode())
    with pytest.raises(DocumentTooComplex) as caught:
        load_yaml_with_marks(text)
    assert caught.value.limit == "bytes"


def test_bad_explicit_tags_are_issues_not_crashes():
    for text in ("a: !!int abc\n", "a: !!float x\n", "a: !!timestamp 2020-13-45\n"):
        with pytest.raises(PackInvalid) as caught:
            load_yaml_with_marks(text)
        assert caught.value.issues[0].line == 1


@pytest.mark.parametrize("code", sorted(default_pack_texts()))
def test_every_default_pack_loads_well_inside_the_limits(code):
    text = default_pack_texts()[code]
    tight = YamlLimits(
        max_bytes=DEFAULT_LIMITS.max_bytes // 10,
        max_nodes=DEFAULT_LIMITS.max_nodes // 10,
        max_aliases=0,
        max_depth=DEFAULT_LIMITS.max_depth // 4,
    )
    report = validate_pack_text(text, limits=tight)
    assert report.valid, [str(i) for i in report.issues]


def test_the_diff_of_a_bomb_reports_the_error_instead_of_expanding():
    result = diff_pack_texts("jurisdiction: DE\n", billion_laughs(7))
    assert "too many aliases" in result.error and result.unified

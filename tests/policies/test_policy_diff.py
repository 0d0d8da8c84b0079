"""The structural and text diff between two pack versions."""

from policies import default_pack_texts, diff_pack_texts

OLD = """\
jurisdiction: DE
version: "1"
rules:
  - id: a
    description: first
    condition: {signal: "toxicity >= 0.9"}
    outcome: remove
    legal: {decision_ground: DECISION_GROUND_INCOMPATIBLE_CONTENT, incompatible_content_ground: x, category: STATEMENT_CATEGORY_VIOLENCE}
  - id: b
    description: second
    condition: {report: {}}
    outcome: {action: queue, queue: q}
    legal: {decision_ground: DECISION_GROUND_INCOMPATIBLE_CONTENT, incompatible_content_ground: x, category: STATEMENT_CATEGORY_VIOLENCE}
"""

NEW = """\
jurisdiction: DE
version: "2"
rules:
  - id: a
    description: first
    mode: shadow
    condition: {signal: "toxicity >= 0.8"}
    outcome: remove
    legal: {decision_ground: DECISION_GROUND_INCOMPATIBLE_CONTENT, incompatible_content_ground: x, category: STATEMENT_CATEGORY_VIOLENCE}
  - id: c
    description: third
    condition: {hash: {}}
    outcome: remove
    legal: {decision_ground: DECISION_GROUND_INCOMPATIBLE_CONTENT, incompatible_content_ground: x, category: STATEMENT_CATEGORY_VIOLENCE}
"""


def test_structural_diff():
    diff = diff_pack_texts(OLD, NEW)
    assert diff.rules_added == ["c"]
    assert diff.rules_removed == ["b"]
    assert [str(c) for c in diff.metadata] == ["version: '1' -> '2'"]
    changes = {c.path: c for c in diff.rules_changed["a"]}
    assert set(changes) == {"condition.signal", "mode"}
    assert (changes["condition.signal"].old, changes["condition.signal"].new) == ("toxicity >= 0.9", "toxicity >= 0.8")
    assert changes["mode"].kind == "added"
    rendered = diff.render()
    assert "+ rule c" in rendered and "- rule b" in rendered and "~ rule a" in rendered
    assert "condition.signal: 'toxicity >= 0.9' -> 'toxicity >= 0.8'" in rendered


def test_unified_diff():
    diff = diff_pack_texts(OLD, NEW, "DE v1", "DE v2")
    assert diff.unified.startswith("--- DE v1\n+++ DE v2\n")
    assert '-version: "1"\n' in diff.unified and '+version: "2"\n' in diff.unified


def test_identical_texts_have_an_empty_diff():
    text = default_pack_texts()["GLOBAL"]
    diff = diff_pack_texts(text, text)
    assert diff.empty and diff.unified == "" and diff.render() == "no changes"


def test_reordering_and_list_changes():
    reordered = (
        OLD.replace("  - id: a", "  - id: TMP").replace("  - id: b", "  - id: a").replace("  - id: TMP", "  - id: b")
    )
    diff = diff_pack_texts(OLD, reordered)
    assert diff.order_changed
    listy = diff_pack_texts(OLD, OLD.replace("outcome: remove", "outcome: [remove, escalate]"))
    assert [str(c) for c in listy.rules_changed["a"]] == ["outcome: 'remove' -> ['remove', 'escalate']"]


def test_invalid_yaml_still_gets_a_text_diff():
    diff = diff_pack_texts(OLD, OLD + "  - [broken\n")
    assert diff.error and "line" in diff.error
    assert "+  - [broken" in diff.unified
    assert not diff.empty

"""Each kind of condition, its compact form, missing values, and the explanations."""

import pytest

from policies import ItemFacts
from policies.conditions import ConditionError, compile_condition

ITEM = ItemFacts(
    kind="image",
    country="de",
    language="DE",
    account_age_days=3,
    signals={"toxicity": 0.91, "exposed": 0.4},
    hash_matches=[("PDQ", "gifct", "terrorism", 20), {"algorithm": "md5", "bank_name": "own", "bank_kind": "spam"}],
    reports=[("user", "illegal_hate_speech"), ("user", "illegal_hate_speech"), ("trusted_flagger", "terrorism")],
)

CASES = [
    ({"signal": "toxicity >= 0.9"}, True),
    ({"signal": "toxicity > 0.91"}, False),
    ({"signal": "toxicity", "op": "<", "value": 0.95}, True),
    ({"signal": "threat >= 0"}, False),  # absent signal: false, whatever the threshold
    ({"field": "kind == image"}, True),
    ({"field": "kind", "op": "in", "value": ["text", "video"]}, False),
    ({"field": "country", "op": "==", "value": "de"}, True),  # normalised to DE on both sides
    ({"field": "language == de"}, True),
    ({"field": "country", "op": "not_in", "value": ["FR", "AT"]}, True),
    ({"field": "account_age_days < 7"}, True),
    ({"field": "account_age_days", "op": ">=", "value": 30}, False),
    ({"hash": {}}, True),
    ({"hash": {"bank_kind": "terrorism"}}, True),
    ({"hash": {"bank_kind": "terrorism", "max_distance": 10}}, False),
    ({"hash": {"bank_kind": ["csam", "ncii"]}}, False),
    ({"hash": {"bank": "own", "algorithm": ["md5", "sha256"]}}, True),
    ({"hash": {"algorithm": "pdq", "bank_kind": "spam"}}, False),  # both on the same match
    ({"report": {}}, True),
    ({"report": {"category": "illegal_hate_speech", "min_count": 2}}, True),
    ({"report": {"category": "illegal_hate_speech", "min_count": 3}}, False),
    ({"report": {"source": "trusted_flagger", "category": "illegal_hate_speech"}}, False),
    ({"report": {"source": ["trusted_flagger", "authority_order"]}}, True),
    ({"all": [{"signal": "toxicity >= 0.9"}, {"field": "kind == image"}]}, True),
    ({"all": [{"signal": "toxicity >= 0.9"}, {"field": "kind == text"}]}, False),
    ({"any": [{"signal": "exposed >= 0.9"}, {"report": {"source": "authority_order"}}]}, False),
    ({"any": [{"signal": "exposed >= 0.9"}, {"hash": {"bank_kind": "spam"}}]}, True),
    ({"not": {"signal": "exposed >= 0.9"}}, True),
    ({"not": {"any": [{"field": "kind == image"}]}}, False),
]


@pytest.mark.parametrize("condition,expected", CASES, ids=[str(c[0]) for c in CASES])
def test_condition(condition, expected):
    compiled = compile_condition(condition)
    assert compiled.test(ITEM) is expected
    assert compiled.explain(ITEM).passed is expected  # the explanation never disagrees


def test_missing_optional_fields_make_comparisons_false():
    bare = ItemFacts(kind="text")
    for cond in (
        {"field": "account_age_days < 7"},
        {"field": "account_age_days >= 7"},
        {"field": "country != DE"},
        {"field": "language == en"},
        {"report": {}},
        {"hash": {}},
    ):
        assert compile_condition(cond).test(bare) is False, cond
    assert "not known" in compile_condition({"field": "country != DE"}).explain(bare).text


def test_explanation_shows_actual_values():
    cond = compile_condition(
        {
            "all": [
                {"signal": "toxicity >= 0.95"},
                {"signal": "threat >= 0.5"},
                {"hash": {"bank_kind": "terrorism"}},
                {"report": {"category": "illegal_hate_speech", "min_count": 2}},
            ]
        }
    )
    text = cond.explain(ITEM).render()
    assert "✘ all of these hold" in text
    assert "✘ signal toxicity >= 0.95: score is 0.91" in text
    assert "no threat score" in text
    assert "pdq in gifct (terrorism) at distance 20" in text
    assert "2 of 3 report(s) fit" in text


@pytest.mark.parametrize(
    "condition,fragment",
    [
        ({"field": "kind", "op": "==", "value": "book"}, "kind is one of"),
        ({"field": "country", "op": "in", "value": ["Germany"]}, "alpha-2"),
        ({"field": "account_age_days", "op": "in", "value": ["1"]}, "and a number"),
        ({"field": "kind", "op": ">=", "value": "text"}, "compares with ==, !=, in, not_in"),
        ({"field": "kind", "op": "in", "value": "text"}, "needs a list"),
        ({"field": "height >= 3"}, "unknown item field"),
        ({"signal": "toxicity >= high"}, "not a number"),
        ({"colour": "red"}, "a condition needs one of"),
    ],
)
def test_bad_conditions_raise_with_a_reason(condition, fragment):
    with pytest.raises(ConditionError) as raised:
        compile_condition(condition, ("rules", 0, "condition"))
    assert fragment in raised.value.message
    assert raised.value.path[:3] == ("rules", 0, "condition")


def test_item_facts_from_dict_rejects_unknown_keys():
    facts = ItemFacts.from_dict(
        {
            "kind": "TEXT",
            "country": "fr",
            "signals": {"toxicity": "0.5"},
            "reports": [{"source": "user", "category": "spam"}],
        }
    )
    assert (facts.kind, facts.country, facts.signals["toxicity"]) == ("text", "FR", 0.5)
    assert ItemFacts.from_dict(facts.to_dict()) == facts
    with pytest.raises(ValueError):
        ItemFacts.from_dict({"kind": "text", "colour": "red"})

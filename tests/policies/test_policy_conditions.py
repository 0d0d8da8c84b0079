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


ORDERS = ItemFacts(
    kind="text",
    reports=[
        {"source": "authority_order", "category": "terrorism", "issuing_jurisdiction": "de", "authority": "BKA"},
        ("authority_order", "other", "IN", "MeitY", "joint_secretary"),
        ("user", "spam"),
    ],
)


@pytest.mark.parametrize(
    "spec,expected",
    [
        ({"issued_in": "IN"}, True),
        ({"issued_in": "in"}, True),
        ({"issued_in": "AU"}, False),
        ({"issued_in": "EU", "category": "terrorism"}, True),  # a union matches any member
        ({"issued_in": "EU", "category": "other"}, False),  # the Indian order is not from a member
        ({"issued_in": ["AU", "FR"]}, False),
        ({"issued_in": ["AU", "DE"], "source": "authority_order"}, True),
        ({"issued_in": "EU", "min_count": 2}, False),
        ({"source": "user", "issued_in": "IN"}, False),  # a report without an issuer never matches issued_in
    ],
)
def test_report_issued_in(spec, expected):
    compiled = compile_condition({"report": spec})
    assert compiled.test(ORDERS) is expected
    assert compiled.explain(ORDERS).passed is expected


def test_issued_in_explains_itself_and_refuses_what_is_not_a_code():
    text = compile_condition({"report": {"issued_in": ["EU"]}}).explain(ORDERS).text
    assert "issued in [EU]" in text and "1 of 3 report(s) fit" in text
    with pytest.raises(ConditionError) as raised:
        compile_condition({"report": {"issued_in": "India"}}, ("rules", 0, "condition"))
    assert "issued_in takes country codes" in raised.value.message
    assert raised.value.path == ("rules", 0, "condition", "report", "issued_in")


def test_issued_in_uses_the_unions_it_is_given():
    compiled = compile_condition({"report": {"issued_in": "EU"}}, unions={"EU": frozenset({"FR"})})
    assert compiled.test(ORDERS) is False  # DE is not a member of this union


def test_facts_carry_the_audience_and_the_issuer():
    facts = ItemFacts.from_dict(
        {"kind": "text", "visible_in": ["us", "de", "US"], "reports": [{"source": "user", "category": "x"}]}
    )
    assert facts.visible_in == ("DE", "US")
    assert ItemFacts(kind="text").visible_in is None  # everywhere
    assert ItemFacts(kind="text", visible_in=[]).visible_in == ()  # nowhere
    data = ORDERS.to_dict()
    assert data["visible_in"] is None
    assert data["reports"][0] == {
        "source": "authority_order",
        "category": "terrorism",
        "issuing_jurisdiction": "DE",
        "authority": "BKA",
        "authority_rank": None,
    }
    assert ItemFacts.from_dict(data) == ORDERS

"""Compiles rule conditions into Python closures: one fast test, one that explains itself.

Nothing here parses code: the compact form ("toxicity >= 0.9") is matched by a fixed regular
expression and turned into an operator from the `operator` module.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from . import dsa
from . import vocabulary as v
from .facts import ItemFacts

_COMPARATORS = {
    ">=": operator.ge,
    ">": operator.gt,
    "<=": operator.le,
    "<": operator.lt,
    "==": operator.eq,
    "!=": operator.ne,
}
_COMPACT = re.compile(r"^\s*([A-Za-z][A-Za-z0-9_.:-]*)\s*(>=|<=|==|!=|>|<)\s*(\S+)\s*$")


@dataclass(frozen=True, slots=True)
class Explanation:
    passed: bool
    text: str
    children: tuple[Explanation, ...] = ()

    def lines(self, indent: int = 0) -> list[str]:
        mark = "✔" if self.passed else "✘"
        out = [f"{'  ' * indent}{mark} {self.text}"]
        for child in self.children:
            out.extend(child.lines(indent + 1))
        return out

    def render(self) -> str:
        return "\n".join(self.lines())

    def to_dict(self) -> dict:
        return {"passed": self.passed, "text": self.text, "children": [c.to_dict() for c in self.children]}


Test = Callable[[ItemFacts], bool]
Explain = Callable[[ItemFacts], Explanation]


@dataclass(frozen=True, slots=True)
class CompiledCondition:
    test: Test
    explain: Explain
    signal_uses: tuple[tuple[str, tuple], ...]  # (signal name, path) for "unknown signal" warnings

    @property
    def signals(self) -> frozenset[str]:
        return frozenset(name for name, _ in self.signal_uses)


class ConditionError(Exception):
    def __init__(self, path: tuple, message: str):
        super().__init__(message)
        self.path = path
        self.message = message


def compile_condition(
    cond: dict, path: tuple = (), unions: Mapping[str, frozenset[str]] | None = None
) -> CompiledCondition:
    """`unions` maps a union code such as EU to its member countries, for `report: {issued_in: ...}`
    (the compiler passes the catalogue's; without it the EU's 30 EU/EEA countries are known)."""
    if unions is None:
        unions = {"EU": dsa.eu_eea_countries()}
    for kind, builder in _BUILDERS.items():
        if kind in cond:
            return builder(cond, path, unions)
    raise ConditionError(path, "a condition needs one of: " + ", ".join(_BUILDERS))


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, (list, tuple, frozenset, set)):
        return "[" + ", ".join(sorted(str(x) for x in value)) + "]"
    return str(value)


def _split_compact(text: str, path: tuple) -> tuple[str, str, str]:
    match = _COMPACT.match(text)
    if not match:
        raise ConditionError(path, f'cannot read {text!r}; write it as "name >= 0.9"')
    return match.group(1), match.group(2), match.group(3)


def _compile_signal(cond: dict, path: tuple, unions=None) -> CompiledCondition:
    if "op" in cond:
        name, op, value = cond["signal"], cond["op"], cond["value"]
    else:
        name, op, raw = _split_compact(cond["signal"], path + ("signal",))
        try:
            value = float(raw)
        except ValueError:
            raise ConditionError(path + ("signal",), f"{raw!r} is not a number") from None
    if op not in _COMPARATORS or isinstance(value, bool) or not isinstance(value, (int, float)):
        raise ConditionError(path, "signal comparisons use >=, >, <=, <, ==, != and a number")
    compare, threshold = _COMPARATORS[op], float(value)

    def test(facts: ItemFacts) -> bool:
        score = facts.signals.get(name)
        return score is not None and compare(score, threshold)

    def explain(facts: ItemFacts) -> Explanation:
        score = facts.signals.get(name)
        if score is None:
            return Explanation(False, f"signal {name} {op} {_fmt(threshold)}: no {name} score for this item")
        return Explanation(test(facts), f"signal {name} {op} {_fmt(threshold)}: score is {_fmt(score)}")

    return CompiledCondition(test, explain, ((name, path + ("signal",)),))


_NORMALISE = {"kind": str.lower, "country": str.upper, "language": str.lower}


def _field_value(field: str, op: str, value, cond_path: tuple):
    """Checks and normalises the right-hand side of a field comparison."""
    path = cond_path + ("op",)  # errors about the operator; value errors use value_path
    value_path = cond_path + ("value",)
    if field in v.NUMERIC_FIELDS:
        try:
            if op not in v.NUMERIC_OPS or isinstance(value, (bool, list)):
                raise ValueError
            return float(value)  # the compact form gives "7" as text
        except (TypeError, ValueError):
            raise ConditionError(path, f"{field} compares with >=, >, <=, <, ==, != and a number") from None
    if op in v.SET_OPS:
        if not isinstance(value, list):
            raise ConditionError(path, f"{op} needs a list, e.g. [image, video]")
        values = frozenset(_NORMALISE[field](str(x)) for x in value)
    elif op in ("==", "!="):
        if isinstance(value, list):
            raise ConditionError(path, f"use in / not_in to compare {field} with a list")
        values = frozenset({_NORMALISE[field](str(value))})
    else:
        raise ConditionError(path, f"{field} compares with ==, !=, in, not_in")
    if field == "kind" and not values <= set(v.ITEM_KINDS):
        raise ConditionError(value_path, f"kind is one of {', '.join(v.ITEM_KINDS)}")
    if field == "country" and not all(re.fullmatch(r"[A-Z]{2}", x) for x in values):
        raise ConditionError(value_path, "countries are ISO 3166-1 alpha-2 codes like DE")
    if field == "language" and not all(re.fullmatch(r"[a-z]{2}", x) for x in values):
        raise ConditionError(value_path, "languages are ISO 639-1 codes like de")
    return values


def _compile_field(cond: dict, path: tuple, unions=None) -> CompiledCondition:
    if "op" in cond:
        field, op, value = cond["field"], cond["op"], cond["value"]
    else:
        field, op, value = _split_compact(cond["field"], path + ("field",))
    if field not in v.ITEM_FIELDS:
        raise ConditionError(path, f"unknown item field {field!r}; known: {', '.join(v.ITEM_FIELDS)}")
    expected = _field_value(field, op, value, path)
    get = operator.attrgetter(field)

    if field in v.NUMERIC_FIELDS:
        compare = _COMPARATORS[op]

        def test(facts: ItemFacts) -> bool:
            actual = get(facts)
            return actual is not None and compare(actual, expected)
    else:
        negate = op in ("!=", "not_in")

        def test(facts: ItemFacts) -> bool:
            actual = get(facts)
            return actual is not None and ((actual in expected) != negate)

    shown = (
        _fmt(expected)
        if op in v.SET_OPS
        else _fmt(next(iter(expected)) if isinstance(expected, frozenset) else expected)
    )

    def explain(facts: ItemFacts) -> Explanation:
        actual = get(facts)
        if actual is None:
            return Explanation(False, f"{field} {op} {shown}: {field} is not known for this item")
        return Explanation(test(facts), f"{field} {op} {shown}: item has {_fmt(actual)}")

    return CompiledCondition(test, explain, ())


def _as_set(value, normalise=lambda x: x) -> frozenset | None:
    if value is None:
        return None
    values = value if isinstance(value, list) else [value]
    return frozenset(normalise(str(x)) for x in values)


def _compile_hash(cond: dict, path: tuple, unions=None) -> CompiledCondition:
    spec = cond["hash"] or {}
    kinds = _as_set(spec.get("bank_kind"), str.lower)
    banks = _as_set(spec.get("bank"))
    algorithms = _as_set(spec.get("algorithm"), str.lower)
    max_distance = spec.get("max_distance")

    def fits(m) -> bool:
        return (
            (kinds is None or m.bank_kind in kinds)
            and (banks is None or m.bank_name in banks)
            and (algorithms is None or m.algorithm in algorithms)
            and (max_distance is None or m.distance <= max_distance)
        )

    def test(facts: ItemFacts) -> bool:
        for m in facts.hash_matches:
            if fits(m):
                return True
        return False

    wanted = (
        ", ".join(
            f"{label} {_fmt(val)}"
            for label, val in (
                ("bank kind", kinds),
                ("bank", banks),
                ("algorithm", algorithms),
                ("distance <=", max_distance),
            )
            if val is not None
        )
        or "any bank"
    )

    def explain(facts: ItemFacts) -> Explanation:
        hits = [m for m in facts.hash_matches if fits(m)]
        if hits:
            shown = "; ".join(f"{m.algorithm} in {m.bank_name} ({m.bank_kind}) at distance {m.distance}" for m in hits)
            return Explanation(True, f"hash match ({wanted}): {shown}")
        others = len(facts.hash_matches)
        tail = f"{others} other match(es) did not fit" if others else "the item matched no bank"
        return Explanation(False, f"hash match ({wanted}): {tail}")

    return CompiledCondition(test, explain, ())


def _issuers(
    spec: dict, path: tuple, unions: Mapping[str, frozenset[str]]
) -> tuple[frozenset | None, frozenset | None]:
    """(codes as written, countries they cover) for issued_in; a union code covers its members."""
    written = _as_set(spec.get("issued_in"), str.upper)
    if written is None:
        return None, None
    countries = set()
    for code in written:
        if code in unions:
            countries |= unions[code]
        elif re.fullmatch(r"[A-Z]{2}", code):
            countries.add(code)
        else:
            known = ", ".join(sorted(unions))
            raise ConditionError(path + ("issued_in",), f"issued_in takes country codes like IN or a union ({known})")
    return written, frozenset(countries)


def _compile_report(cond: dict, path: tuple, unions=None) -> CompiledCondition:
    spec = cond["report"] or {}
    sources = _as_set(spec.get("source"))
    categories = _as_set(spec.get("category"))
    issued_in, issuers = _issuers(spec, path + ("report",), unions or {})
    min_count = int(spec.get("min_count", 1))

    def count(facts: ItemFacts) -> int:
        n = 0
        for r in facts.reports:
            if (
                (sources is None or r.source in sources)
                and (categories is None or r.category in categories)
                and (issuers is None or r.issuing_jurisdiction in issuers)
            ):
                n += 1
        return n

    def test(facts: ItemFacts) -> bool:
        return bool(facts.reports) and count(facts) >= min_count

    wanted = (
        ", ".join(
            f"{label} {_fmt(val)}"
            for label, val in (("source", sources), ("category", categories), ("issued in", issued_in))
            if val is not None
        )
        or "any report"
    )

    def explain(facts: ItemFacts) -> Explanation:
        n = count(facts)
        return Explanation(
            n >= min_count, f"reports ({wanted}) count >= {min_count}: {n} of {len(facts.reports)} report(s) fit"
        )

    return CompiledCondition(test, explain, ())


def _compile_group(cond: dict, path: tuple, unions=None) -> CompiledCondition:
    kind = "all" if "all" in cond else "any"
    children = [compile_condition(c, path + (kind, i), unions) for i, c in enumerate(cond[kind])]
    tests = tuple(c.test for c in children)
    if kind == "all":

        def test(facts: ItemFacts) -> bool:
            for t in tests:
                if not t(facts):
                    return False
            return True
    else:

        def test(facts: ItemFacts) -> bool:
            for t in tests:
                if t(facts):
                    return True
            return False

    def explain(facts: ItemFacts) -> Explanation:
        parts = tuple(c.explain(facts) for c in children)  # no short cut: show every reason
        passed = all(p.passed for p in parts) if kind == "all" else any(p.passed for p in parts)
        title = "all of these hold" if kind == "all" else "at least one of these holds"
        return Explanation(passed, title, parts)

    return CompiledCondition(test, explain, tuple(use for c in children for use in c.signal_uses))


def _compile_not(cond: dict, path: tuple, unions=None) -> CompiledCondition:
    inner = compile_condition(cond["not"], path + ("not",), unions)
    inner_test = inner.test

    def test(facts: ItemFacts) -> bool:
        return not inner_test(facts)

    def explain(facts: ItemFacts) -> Explanation:
        part = inner.explain(facts)
        return Explanation(not part.passed, "not:", (part,))

    return CompiledCondition(test, explain, inner.signal_uses)


_BUILDERS = {
    "all": _compile_group,
    "any": _compile_group,
    "not": _compile_not,
    "signal": _compile_signal,
    "field": _compile_field,
    "hash": _compile_hash,
    "report": _compile_report,
}

"""Whose law applies to an item, and why.

GLOBAL (the platform's terms) always applies. A jurisdiction of the catalogue applies when
(a) the item is visible there (its audience; a union such as the EU when visible in any member),
(b) a notice or order about it was issued there, or (c) the provider is established there.
Who uploaded the item, and from where, does not decide it: an EU removal order binds a provider
offering services in the Union whoever uploaded, and an eSafety notice reaches material that can
be accessed in Australia.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .catalogue import GLOBAL, Catalogue
from .errors import UnknownJurisdiction
from .facts import ItemFacts

GLOBAL_REASON = "the platform's terms apply everywhere"
_MEMO_LIMIT = 4096  # distinct (audience, issuers, establishments) combinations kept
_LISTED = 5  # countries named in a reason before it says how many


@dataclass(frozen=True, slots=True)
class AppliedJurisdiction:
    code: str
    reasons: tuple[str, ...]

    def to_dict(self) -> dict:
        return {"jurisdiction": self.code, "reasons": list(self.reasons)}


def issuers_of(facts: ItemFacts) -> tuple[tuple[str, str], ...]:
    """(country, authority) of every report that says where it was issued, sorted, once each."""
    found = {(r.issuing_jurisdiction, r.authority or "") for r in facts.reports if r.issuing_jurisdiction}
    return tuple(sorted(found))


def applicable(
    catalogue: Catalogue, facts: ItemFacts, establishments: frozenset[str] = frozenset(), also: Iterable[str] = ()
) -> tuple[AppliedJurisdiction, ...]:
    """GLOBAL first, then every jurisdiction that applies, in catalogue order, each with its reasons.

    `also` names further jurisdictions to consider (a pack for a country the catalogue has no
    entry for); they come after the catalogue's. Memoised per catalogue: a backtest evaluates
    100,000 items that share a handful of audiences.
    """
    key = (facts.visible_in, issuers_of(facts), frozenset(establishments), tuple(also))
    memo = catalogue.applicability_memo
    found = memo.get(key)
    if found is None:
        if len(memo) >= _MEMO_LIMIT:
            memo.clear()  # authorities are free text: keep a long-running worker's memo bounded
        found = memo[key] = _compute(catalogue, *key)
    return found


def _compute(catalogue, visible_in, issuers, establishments, also) -> tuple[AppliedJurisdiction, ...]:
    result = [AppliedJurisdiction(GLOBAL, (GLOBAL_REASON,))]
    codes = [c for c in catalogue.jurisdictions if c != GLOBAL]
    codes += [c for c in dict.fromkeys(also) if c != GLOBAL and c not in catalogue.jurisdictions]
    for code in codes:
        try:
            territory = catalogue.territory(code)
        except UnknownJurisdiction:
            continue
        reasons = _reasons(code, territory, visible_in, issuers, establishments)
        if reasons:
            result.append(AppliedJurisdiction(code, tuple(reasons)))
    return tuple(result)


def _reasons(code, territory, visible_in, issuers, establishments) -> list[str]:
    reasons = []
    if visible_in is None:
        reasons.append("visible everywhere")
    else:
        seen = sorted(territory.intersection(visible_in))
        if seen:
            named = ", ".join(seen) if len(seen) <= _LISTED else f"{len(seen)} {code} countries"
            reasons.append(f"visible in {named}")
    for country, authority in issuers:
        if country in territory:
            by = f" ({authority})" if authority else ""
            member = f", a member of {code}" if country != code else ""
            reasons.append(f"notice issued in {country}{by}{member}")
    for country in sorted(establishments):
        if country in territory:
            member = f", a member of {code}" if country != code else ""
            reasons.append(f"the provider is established in {country}{member}")
    return reasons


def legacy_facts(country: str | None) -> ItemFacts:
    """Facts for callers that still pass only the uploader's country: visible there alone."""
    return ItemFacts(kind="text", country=country, visible_in=(country,) if country else ())

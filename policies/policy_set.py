"""A set of compiled packs, one per jurisdiction: what the pipeline holds per published version."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

from .applicability import AppliedJurisdiction, applicable, legacy_facts
from .catalogue import Catalogue, default_catalogue
from .compiler import compile_pack_text
from .facts import ItemFacts
from .model import CompiledPack, RuleResult, evaluate_pack
from .plan import DecisionPlan, plan_decision

PACKS_DIR = Path(__file__).parent / "packs"


def default_pack_texts() -> dict[str, str]:
    """The YAML of the packs a new install starts with, by jurisdiction (file name = code)."""
    return {path.stem: path.read_text(encoding="utf-8") for path in sorted(PACKS_DIR.glob("*.yaml"))}


class PolicySet:
    """The packs in force. Which of them apply to an item comes from policies.applicability:
    GLOBAL, the jurisdictions the item is visible in, those that issued a notice about it, and
    `establishments`, the countries where the provider itself is established."""

    def __init__(
        self, packs: Iterable[CompiledPack], catalogue: Catalogue | None = None, establishments: Iterable[str] = ()
    ):
        self.catalogue = catalogue or default_catalogue()
        self.establishments = frozenset(str(code).strip().upper() for code in establishments if str(code).strip())
        self.packs: dict[str, CompiledPack] = {}
        for pack in packs:
            if pack.jurisdiction in self.packs:
                raise ValueError(f"two packs for {pack.jurisdiction}")
            self.packs[pack.jurisdiction] = pack
        self._pack_codes = tuple(self.packs)
        self._selected: dict[tuple[str, ...], tuple[CompiledPack, ...]] = {}  # memo per set of codes

    @classmethod
    def from_texts(
        cls,
        texts: Iterable[str] | Mapping[str, str],
        catalogue: Catalogue | None = None,
        establishments: Iterable[str] = (),
    ) -> PolicySet:
        """Compiles pack texts with their own `version`. The workbench, which stores versions,
        compiles with compile_pack_text(text, version=...) and passes the packs to PolicySet()."""
        catalogue = catalogue or default_catalogue()
        items = texts.values() if isinstance(texts, Mapping) else texts
        return cls([compile_pack_text(text, catalogue=catalogue) for text in items], catalogue, establishments)

    @classmethod
    def defaults(cls, catalogue: Catalogue | None = None, establishments: Iterable[str] = ()) -> PolicySet:
        return cls.from_texts(default_pack_texts(), catalogue, establishments)

    def applied(self, facts: ItemFacts) -> tuple[AppliedJurisdiction, ...]:
        """Every jurisdiction whose law applies to the item, with the reasons (packs or not)."""
        return applicable(self.catalogue, facts, self.establishments, self._pack_codes)

    def _select(self, facts: ItemFacts) -> tuple[tuple[AppliedJurisdiction, ...], tuple[CompiledPack, ...]]:
        applied = self.applied(facts)
        codes = tuple(a.code for a in applied)
        packs = self._selected.get(codes)
        if packs is None:
            packs = self._selected[codes] = tuple(self.packs[code] for code in codes if code in self.packs)
        return applied, packs

    def applicable_packs(self, facts: ItemFacts | str | None) -> list[CompiledPack]:
        """The packs that apply to the item, GLOBAL first, in catalogue order.

        Passing a country code instead of facts is the older call: the item is then taken to be
        visible in that country only (None: nowhere, so only GLOBAL)."""
        if not isinstance(facts, ItemFacts):
            facts = legacy_facts(facts)
        return list(self._select(facts)[1])

    def decide(self, facts: ItemFacts) -> DecisionPlan:
        applied, packs = self._select(facts)
        return plan_decision(facts, packs, self.catalogue, applied)

    def explain(self, facts: ItemFacts) -> list[RuleResult]:
        """Every rule of every applicable pack with why it matched or not ("test on one item")."""
        return [result for pack in self._select(facts)[1] for result in evaluate_pack(pack, facts, explain=True)]

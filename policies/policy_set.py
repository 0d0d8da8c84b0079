"""A set of compiled packs, one per jurisdiction: what the pipeline holds per published version."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from pathlib import Path

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
    def __init__(self, packs: Iterable[CompiledPack], catalogue: Catalogue | None = None):
        self.catalogue = catalogue or default_catalogue()
        self.packs: dict[str, CompiledPack] = {}
        for pack in packs:
            if pack.jurisdiction in self.packs:
                raise ValueError(f"two packs for {pack.jurisdiction}")
            self.packs[pack.jurisdiction] = pack
        self._applicable: dict[str | None, tuple[CompiledPack, ...]] = {}  # memo per country

    @classmethod
    def from_texts(cls, texts: Iterable[str] | Mapping[str, str], catalogue: Catalogue | None = None) -> PolicySet:
        """Compiles pack texts with their own `version`. The workbench, which stores versions,
        compiles with compile_pack_text(text, version=...) and passes the packs to PolicySet()."""
        catalogue = catalogue or default_catalogue()
        items = texts.values() if isinstance(texts, Mapping) else texts
        return cls([compile_pack_text(text, catalogue=catalogue) for text in items], catalogue)

    @classmethod
    def defaults(cls, catalogue: Catalogue | None = None) -> PolicySet:
        return cls.from_texts(default_pack_texts(), catalogue)

    def applicable_packs(self, country: str | None) -> list[CompiledPack]:
        """GLOBAL, the EU for EU/EEA countries, then the country's own pack, where one exists."""
        if country not in self._applicable:
            codes = self.catalogue.applicable_jurisdictions(country)
            self._applicable[country] = tuple(self.packs[code] for code in codes if code in self.packs)
        return list(self._applicable[country])

    def decide(self, facts: ItemFacts) -> DecisionPlan:
        if facts.country not in self._applicable:
            self.applicable_packs(facts.country)
        return plan_decision(facts, self._applicable[facts.country], self.catalogue)

    def explain(self, facts: ItemFacts) -> list[RuleResult]:
        """Every rule of every applicable pack with why it matched or not ("test on one item")."""
        return [
            result
            for pack in self.applicable_packs(facts.country)
            for result in evaluate_pack(pack, facts, explain=True)
        ]

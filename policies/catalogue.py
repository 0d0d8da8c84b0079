"""The jurisdiction catalogue: which packs apply to an item, and the law behind each deadline."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import UnknownJurisdiction
from .yaml_source import load_yaml_with_marks

CATALOGUE_PATH = Path(__file__).parent / "catalogue" / "jurisdictions.yaml"
GLOBAL = "GLOBAL"
EU = "EU"

_DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")


@dataclass(frozen=True, slots=True)
class Retention:
    """An evidence-retention period, kept as written (P10W) plus an approximate day count."""

    period: str
    citation: str

    @property
    def approx_days(self) -> int:
        years, months, weeks, days = (int(x or 0) for x in _DURATION.match(self.period).groups())
        # Months and years are approximate: enough to compare periods, not to compute an end date.
        return years * 365 + months * 31 + weeks * 7 + days


@dataclass(frozen=True, slots=True)
class ContentClass:
    jurisdiction: str
    name: str
    deadline_hours: float | None
    citation: str
    retention: Retention | None = None
    authority: str | None = None
    verify: str | None = None


@dataclass(frozen=True, slots=True)
class Jurisdiction:
    code: str
    name: str
    parent: str | None
    members: frozenset[str]  # countries the jurisdiction covers; empty for GLOBAL
    statement_of_reasons_required: bool
    statement_of_reasons_citation: str | None
    content_classes: dict[str, ContentClass] = field(default_factory=dict)
    verify: str | None = None


class Catalogue:
    def __init__(self, jurisdictions: dict[str, Jurisdiction]):
        if GLOBAL not in jurisdictions:
            raise ValueError("the catalogue needs a GLOBAL entry")
        self.jurisdictions = jurisdictions
        self._applicable: dict[str | None, tuple[str, ...]] = {}  # memo: evaluated per item

    def get(self, code: str) -> Jurisdiction | None:
        return self.jurisdictions.get(code)

    def territory(self, code: str) -> frozenset[str] | None:
        """Countries a pack of this jurisdiction governs; None = worldwide (GLOBAL)."""
        if code == GLOBAL:
            return None
        entry = self.jurisdictions.get(code)
        if entry is not None and entry.members:
            return entry.members
        if re.fullmatch(r"[A-Z]{2}", code or "") and code != EU:
            return frozenset({code})
        raise UnknownJurisdiction(code)

    def applicable_jurisdictions(self, country: str | None) -> list[str]:
        """GLOBAL, then every union containing the country (the EU for EU/EEA), then the country."""
        if country not in self._applicable:
            self._applicable[country] = tuple(self._compute_applicable(country))
        return list(self._applicable[country])

    def _compute_applicable(self, country: str | None) -> list[str]:
        result = [GLOBAL]
        country = (country or "").upper()
        if not country:
            return result
        for code, entry in self.jurisdictions.items():
            if code != GLOBAL and entry.members and country in entry.members and code != country:
                result.append(code)
        result.append(country)
        return result

    def content_class(self, jurisdiction: str, name: str) -> ContentClass | None:
        """Looks the class up in the jurisdiction, then its parents, then GLOBAL."""
        seen = set()
        code: str | None = jurisdiction
        while code and code not in seen:
            seen.add(code)
            entry = self.jurisdictions.get(code)
            if entry is None:
                break
            if name in entry.content_classes:
                return entry.content_classes[name]
            code = entry.parent
        return self.jurisdictions[GLOBAL].content_classes.get(name)

    def content_class_names(self, jurisdiction: str) -> list[str]:
        names: set[str] = set()
        code: str | None = jurisdiction
        while code and code in self.jurisdictions and code not in names:
            names.update(self.jurisdictions[code].content_classes)
            code = self.jurisdictions[code].parent
        names.update(self.jurisdictions[GLOBAL].content_classes)
        return sorted(names)

    def statement_of_reasons_required(self, jurisdictions) -> bool:
        return any(
            self.jurisdictions[code].statement_of_reasons_required
            for code in jurisdictions
            if code in self.jurisdictions
        )


def _parse_class(code: str, name: str, raw: dict) -> ContentClass:
    retention = None
    if raw.get("retention"):
        period = str(raw["retention"])
        if not _DURATION.match(period) or period == "P":
            raise ValueError(f"{code}.{name}: retention {period!r} is not an ISO 8601 duration")
        retention = Retention(period, str(raw.get("retention_citation", raw.get("citation", ""))))
    hours = raw.get("deadline_hours")
    if hours is not None and (not isinstance(hours, (int, float)) or hours <= 0):
        raise ValueError(f"{code}.{name}: deadline_hours must be a positive number or null")
    if not raw.get("citation"):
        raise ValueError(f"{code}.{name}: every content class needs a citation")
    return ContentClass(
        jurisdiction=code,
        name=name,
        deadline_hours=hours,
        citation=" ".join(str(raw["citation"]).split()),
        retention=retention,
        authority=raw.get("authority"),
        verify=raw.get("verify"),
    )


def parse_catalogue(data: dict) -> Catalogue:
    entries = {}
    for code, raw in (data.get("jurisdictions") or {}).items():
        code = str(code)
        sor = raw.get("statement_of_reasons") or {}
        entries[code] = Jurisdiction(
            code=code,
            name=str(raw.get("name", code)),
            parent=raw.get("parent"),
            members=frozenset(str(m) for m in raw.get("members") or ()),
            statement_of_reasons_required=bool(sor.get("required", False)),
            statement_of_reasons_citation=sor.get("citation"),
            content_classes={
                str(name): _parse_class(code, str(name), cls or {})
                for name, cls in (raw.get("content_classes") or {}).items()
            },
            verify=raw.get("verify"),
        )
    for code, entry in entries.items():
        if entry.parent and entry.parent not in entries:
            raise ValueError(f"{code}: unknown parent {entry.parent!r}")
    return Catalogue(entries)


def load_catalogue(text: str) -> Catalogue:
    # The pack loader's strict YAML: only true/false are booleans, so `NO` stays Norway.
    data, _ = load_yaml_with_marks(text)
    return parse_catalogue(data or {})


@lru_cache(maxsize=1)
def default_catalogue() -> Catalogue:
    return load_catalogue(CATALOGUE_PATH.read_text(encoding="utf-8"))

"""The jurisdiction catalogue: which packs apply to an item, and the law behind each deadline."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .errors import UnknownJurisdiction
from .facts import Report
from .holds import GDPR_NON_EU_LAW, GDPR_UNION_LAW, HOLD_STARTS, HoldRule, parse_period
from .yaml_source import load_yaml_with_marks

CATALOGUE_PATH = Path(__file__).parent / "catalogue" / "jurisdictions.yaml"
GLOBAL = "GLOBAL"
EU = "EU"
# What starts a class's deadline clock.
CLOCK_STARTS = ("order_receipt", "notice_receipt", "request_receipt", "detection")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Retention:
    """An evidence-retention period, kept as written (P6M) plus an approximate day count.

    The older view of a class's hold (period and citation only); HoldRule has the full rule.
    """

    period: str
    citation: str

    @property
    def approx_days(self) -> int:
        years, months, weeks, days = parse_period(self.period)
        # Months and years are approximate: enough to compare periods, not to compute an end date.
        return years * 365 + months * 31 + weeks * 7 + days


@dataclass(frozen=True, slots=True)
class RankRequirement:
    """Who may issue an order the class covers: the rank codes accepted, from the jurisdiction's vocabulary."""

    accepted: tuple[str, ...]
    citation: str
    verify: str | None = None


@dataclass(frozen=True, slots=True)
class AuthorityProblem:
    """Why an authority order may not be acted on as it stands (a 4xx for the intake)."""

    code: str  # authority_rank_missing | authority_rank_insufficient
    rule: str  # the catalogue class, e.g. "IN.government_or_court_order"
    citation: str
    message: str

    def to_dict(self) -> dict:
        return {"code": self.code, "rule": self.rule, "citation": self.citation, "message": self.message}


@dataclass(frozen=True, slots=True)
class ContentClass:
    jurisdiction: str
    name: str
    deadline_hours: float | None
    citation: str
    authority: str | None = None
    verify: str | None = None
    starts: str | None = None  # what starts the deadline clock (CLOCK_STARTS)
    trigger: str | None = None  # which notices or orders, from whom
    hold: HoldRule | None = None
    rank: RankRequirement | None = None
    checked_on: str | None = None  # YYYY-MM-DD the source text was checked
    applies_from: str | None = None  # YYYY-MM-DD the duty applies from, where that matters
    status: str | None = None  # the state of a duty whose commencement is in doubt
    manual: bool = False  # placed by hand (e.g. a preservation request), no pack rule

    @property
    def key(self) -> str:
        return f"{self.jurisdiction}.{self.name}"

    @property
    def retention(self) -> Retention | None:
        return Retention(self.hold.period, self.hold.citation) if self.hold else None


@dataclass(frozen=True, slots=True)
class JurisdictionNote:
    """A standing duty without a deadline, shown in docs/jurisdictions.md (e.g. NetzDG s. 5)."""

    obligation: str
    trigger: str
    citation: str
    checked_on: str
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
    authority_ranks: dict[str, str] = field(default_factory=dict)  # rank code -> label, in order
    notes: tuple[JurisdictionNote, ...] = ()


class Catalogue:
    def __init__(self, jurisdictions: dict[str, Jurisdiction]):
        if GLOBAL not in jurisdictions:
            raise ValueError("the catalogue needs a GLOBAL entry")
        self.jurisdictions = jurisdictions
        self._applicable: dict[str | None, tuple[str, ...]] = {}  # memo: evaluated per item
        self.applicability_memo: dict = {}  # kept by policies.applicability, per catalogue

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

    def unions(self) -> dict[str, frozenset[str]]:
        """Jurisdictions that cover several countries (the EU), by code."""
        return {code: entry.members for code, entry in self.jurisdictions.items() if entry.members}

    def classes(self) -> list[ContentClass]:
        """Every content class, in catalogue order."""
        return [cls for entry in self.jurisdictions.values() for cls in entry.content_classes.values()]

    def hold_rule(self, jurisdiction: str, content_class: str) -> HoldRule | None:
        cls = self.content_class(jurisdiction, content_class)
        return cls.hold if cls else None

    def rank_codes(self, jurisdiction: str) -> tuple[str, ...]:
        entry = self.jurisdictions.get((jurisdiction or "").upper())
        return tuple(entry.authority_ranks) if entry else ()

    def check_authority(self, report: Report) -> AuthorityProblem | None:
        """None when an authority order may be acted on; otherwise what is wrong with its issuer's rank."""
        code = report.issuing_jurisdiction
        if report.source != "authority_order" or not code or code not in self.jurisdictions:
            return None
        entry = self.jurisdictions[code]
        cls = next((c for c in entry.content_classes.values() if c.rank is not None), None)
        if cls is None:
            return None
        accepted = ", ".join(entry.authority_ranks.get(r, r) for r in cls.rank.accepted)
        if not report.authority_rank:
            return AuthorityProblem(
                "authority_rank_missing",
                cls.key,
                cls.rank.citation,
                f"an order issued in {code} needs the issuing authority's rank ({', '.join(entry.authority_ranks)}); "
                f"{cls.key} accepts orders from: {accepted}",
            )
        if report.authority_rank not in cls.rank.accepted:
            label = entry.authority_ranks.get(report.authority_rank, report.authority_rank)
            return AuthorityProblem(
                "authority_rank_insufficient",
                cls.key,
                cls.rank.citation,
                f"an order from {label!r} does not count under {cls.key}; it accepts orders from: {accepted}",
            )
        return None

    def statement_of_reasons_required(self, jurisdictions) -> bool:
        return any(
            self.jurisdictions[code].statement_of_reasons_required
            for code in jurisdictions
            if code in self.jurisdictions
        )


def _date(value, where: str, required: bool = True) -> str | None:
    if value is None and not required:
        return None
    text = str(value) if value is not None else ""
    if not _DATE.match(text):
        raise ValueError(f"{where} must be a date written YYYY-MM-DD")
    return text


def _text(value) -> str | None:
    return " ".join(str(value).split()) if value else None


def _parse_hold(where: str, raw: dict, union_law: bool) -> HoldRule:
    if not isinstance(raw, dict):
        raise ValueError(f"{where}: hold is a mapping with period, starts and citation")
    for key in ("period", "extension"):
        if raw.get(key) is not None:
            try:
                parse_period(str(raw[key]))
            except ValueError as exc:
                raise ValueError(f"{where}: hold {key} {exc}") from None
    if not raw.get("period"):
        raise ValueError(f"{where}: a hold needs a period")
    if raw.get("starts") not in HOLD_STARTS:
        raise ValueError(f"{where}: hold starts must be one of {', '.join(HOLD_STARTS)}")
    if not raw.get("citation"):
        raise ValueError(f"{where}: a hold needs a citation")
    return HoldRule(
        period=str(raw["period"]),
        starts=raw["starts"],
        citation=_text(raw["citation"]),
        # Art. 6(1)(c) and 17(3)(b) cover only Union or Member State law (GDPR Art. 6(3)).
        gdpr_basis=GDPR_UNION_LAW if union_law else GDPR_NON_EU_LAW,
        extension=str(raw["extension"]) if raw.get("extension") else None,
        verify=_text(raw.get("verify")),
    )


def _parse_class(code: str, name: str, raw: dict, ranks: dict[str, str], union_law: bool) -> ContentClass:
    where = f"{code}.{name}"
    hours = raw.get("deadline_hours")
    if hours is not None and (isinstance(hours, bool) or not isinstance(hours, (int, float)) or hours <= 0):
        raise ValueError(f"{where}: deadline_hours must be a positive number or null")
    if not raw.get("citation"):
        raise ValueError(f"{where}: every content class needs a citation")
    if "retention" in raw:
        raise ValueError(f"{where}: retention is now written as hold: {{period, starts, citation}}")
    starts = raw.get("starts")
    if starts is not None and starts not in CLOCK_STARTS:
        raise ValueError(f"{where}: starts must be one of {', '.join(CLOCK_STARTS)}")
    rank = None
    if raw.get("rank"):
        accepted = tuple(str(r) for r in raw["rank"].get("accepted") or ())
        unknown = [r for r in accepted if r not in ranks]
        if not accepted or unknown:
            raise ValueError(
                f"{where}: rank accepts codes of {code}'s authority_ranks; unknown: {unknown or 'none given'}"
            )
        rank = RankRequirement(
            accepted, _text(raw["rank"].get("citation") or raw["citation"]), _text(raw["rank"].get("verify"))
        )
    hold = _parse_hold(where, raw["hold"], union_law) if raw.get("hold") else None
    if raw.get("manual") and hold is None:
        raise ValueError(f"{where}: a manual class is a hold placed by hand and needs a hold")
    return ContentClass(
        jurisdiction=code,
        name=name,
        deadline_hours=hours,
        citation=_text(raw["citation"]),
        authority=raw.get("authority"),
        verify=_text(raw.get("verify")),
        starts=starts,
        trigger=_text(raw.get("trigger")),
        hold=hold,
        rank=rank,
        checked_on=_date(raw.get("checked_on"), f"{where}: checked_on"),
        applies_from=_date(raw.get("applies_from"), f"{where}: applies_from", required=False),
        status=_text(raw.get("status")),
        manual=bool(raw.get("manual", False)),
    )


def _parse_note(code: str, raw: dict) -> JurisdictionNote:
    if not raw.get("obligation") or not raw.get("citation"):
        raise ValueError(f"{code}: a note needs an obligation and a citation")
    return JurisdictionNote(
        obligation=_text(raw["obligation"]),
        trigger=_text(raw.get("trigger")) or "",
        citation=_text(raw["citation"]),
        checked_on=_date(raw.get("checked_on"), f"{code}: note checked_on"),
        verify=_text(raw.get("verify")),
    )


def _is_union_law(code: str, raw_entries: dict) -> bool:
    seen = set()
    while code and code not in seen:
        if code == EU:
            return True
        seen.add(code)
        code = (raw_entries.get(code) or {}).get("parent")
    return False


def parse_catalogue(data: dict) -> Catalogue:
    raw_entries = {str(code): raw or {} for code, raw in (data.get("jurisdictions") or {}).items()}
    entries = {}
    for code, raw in raw_entries.items():
        sor = raw.get("statement_of_reasons") or {}
        ranks = {str(k): _text(v) or str(k) for k, v in (raw.get("authority_ranks") or {}).items()}
        union_law = _is_union_law(code, raw_entries)
        entries[code] = Jurisdiction(
            code=code,
            name=str(raw.get("name", code)),
            parent=raw.get("parent"),
            members=frozenset(str(m) for m in raw.get("members") or ()),
            statement_of_reasons_required=bool(sor.get("required", False)),
            statement_of_reasons_citation=_text(sor.get("citation")),
            content_classes={
                str(name): _parse_class(code, str(name), cls or {}, ranks, union_law)
                for name, cls in (raw.get("content_classes") or {}).items()
            },
            verify=_text(raw.get("verify")),
            authority_ranks=ranks,
            notes=tuple(_parse_note(code, note or {}) for note in raw.get("notes") or ()),
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

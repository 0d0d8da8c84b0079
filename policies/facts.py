"""ItemFacts: everything a rule may look at, as plain immutable data (no ORM, no I/O)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType


@dataclass(frozen=True, slots=True)
class HashMatch:
    algorithm: str  # pdq, phash, dhash, md5, sha256, vpdq, chromaprint
    bank_name: str
    bank_kind: str  # csam, terrorism, ncii, copyright, spam, music, other
    distance: int = 0  # Hamming distance; 0 for exact (crypto) matches


@dataclass(frozen=True, slots=True)
class Report:
    """A notice or order about the item.

    `issuing_jurisdiction` is the ISO 3166-1 alpha-2 code of whoever issued it (None for a user
    report unless the platform says where it comes from); `authority` names an issuing authority
    (e.g. "MeitY") and `authority_rank` is a rank code from the catalogue's rank vocabulary.
    """

    source: str  # user, trusted_flagger, authority_order
    category: str
    issuing_jurisdiction: str | None = None
    authority: str | None = None
    authority_rank: str | None = None

    def __post_init__(self):
        set_ = object.__setattr__
        code = self.issuing_jurisdiction
        set_(self, "issuing_jurisdiction", str(code).strip().upper() or None if code else None)
        set_(self, "authority", str(self.authority).strip() or None if self.authority else None)
        rank = self.authority_rank
        set_(self, "authority_rank", str(rank).strip().lower() or None if rank else None)

    def to_dict(self) -> dict:
        return {
            "source": self.source,
            "category": self.category,
            "issuing_jurisdiction": self.issuing_jurisdiction,
            "authority": self.authority,
            "authority_rank": self.authority_rank,
        }


def _as_hash_match(value) -> HashMatch:
    if isinstance(value, HashMatch):
        return value
    if isinstance(value, Mapping):
        return HashMatch(
            algorithm=str(value["algorithm"]).lower(),
            bank_name=str(value.get("bank_name", value.get("bank", ""))),
            bank_kind=str(value["bank_kind"]).lower(),
            distance=int(value.get("distance", 0)),
        )
    algorithm, bank_name, bank_kind, distance = value
    return HashMatch(str(algorithm).lower(), str(bank_name), str(bank_kind).lower(), int(distance))


def _as_report(value) -> Report:
    if isinstance(value, Report):
        return value
    if isinstance(value, Mapping):
        return Report(
            str(value["source"]),
            str(value.get("category") or "other"),
            value.get("issuing_jurisdiction"),
            value.get("authority"),
            value.get("authority_rank"),
        )
    source, category, *rest = value  # (source, category[, issuing_jurisdiction[, authority[, rank]]])
    return Report(str(source), str(category or "other"), *rest)


def _as_countries(value) -> tuple[str, ...] | None:
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    return tuple(sorted({str(code).strip().upper() for code in value if str(code).strip()}))


@dataclass(frozen=True, slots=True)
class ItemFacts:
    """The input of an evaluation.

    `country` (the uploader's) is ISO 3166-1 alpha-2 upper case; `language` ISO 639-1 lower
    case; missing optional values are None and make comparisons on them false (see
    docs/policy-language.md). `visible_in` is the item's audience: the countries it is shown in,
    sorted upper-case codes, or None for everywhere; it decides which packs apply.
    """

    kind: str
    country: str | None = None
    language: str | None = None
    account_age_days: float | None = None
    signals: Mapping[str, float] = field(default_factory=dict)
    hash_matches: tuple[HashMatch, ...] = ()
    reports: tuple[Report, ...] = ()
    content_date: str | None = None  # YYYY-MM-DD, carried through to the plan for the SoR
    item_id: str | None = None
    visible_in: tuple[str, ...] | None = None

    def __post_init__(self):
        # Normalise once here so that compiled conditions compare without re-normalising.
        set_ = object.__setattr__
        set_(self, "kind", str(self.kind).lower())
        set_(self, "country", self.country.upper() if self.country else None)
        set_(self, "language", self.language.lower() if self.language else None)
        if self.account_age_days is not None:
            set_(self, "account_age_days", float(self.account_age_days))
        set_(self, "signals", MappingProxyType({str(k): float(v) for k, v in dict(self.signals).items()}))
        set_(self, "hash_matches", tuple(_as_hash_match(m) for m in self.hash_matches))
        set_(self, "reports", tuple(_as_report(r) for r in self.reports))
        if self.content_date is not None:
            set_(self, "content_date", str(self.content_date))
        set_(self, "visible_in", _as_countries(self.visible_in))

    @classmethod
    def from_dict(cls, data: Mapping) -> ItemFacts:
        """Builds facts from JSON-like data, e.g. a stored item with its signals and matches.

        hash_matches: list of {algorithm, bank_name, bank_kind, distance} or 4-tuples;
        reports: list of {source, category, issuing_jurisdiction, authority, authority_rank}
        or (source, category) tuples; visible_in: list of country codes, or None for everywhere.
        """
        known = {
            "kind",
            "country",
            "language",
            "account_age_days",
            "signals",
            "hash_matches",
            "reports",
            "content_date",
            "item_id",
            "visible_in",
        }
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown item fact(s): {', '.join(sorted(unknown))}")
        return cls(**{key: data[key] for key in known if data.get(key) is not None})

    def to_dict(self) -> dict:
        return {
            "item_id": self.item_id,
            "kind": self.kind,
            "country": self.country,
            "language": self.language,
            "account_age_days": self.account_age_days,
            "signals": dict(self.signals),
            "hash_matches": [
                {"algorithm": m.algorithm, "bank_name": m.bank_name, "bank_kind": m.bank_kind, "distance": m.distance}
                for m in self.hash_matches
            ],
            "reports": [r.to_dict() for r in self.reports],
            "content_date": self.content_date,
            "visible_in": list(self.visible_in) if self.visible_in is not None else None,
        }


def facts_list(items: Iterable[Mapping]) -> list[ItemFacts]:
    return [ItemFacts.from_dict(item) for item in items]

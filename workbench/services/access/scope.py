"""Who may see what, by region and language: parsing a user's scope and applying it.

A user's `jurisdictions` are ISO 3166-1 alpha-2 codes, catalogue unions such as "EU"
(expanded through policies' jurisdiction catalogue) or "GLOBAL" (every country). Their
`languages` are ISO 639-1 codes, or "*" for any language. An empty list on either side
means no case is visible: a new account sees nothing until an admin gives it a scope.

An item whose language is unknown is visible to everyone whose jurisdictions cover it
(otherwise nobody with a language scope would ever review it). `can_see` (Python) and
`scope_clause` (SQL, for "next case" queries) implement the same rule; a test holds them
to it.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache

import pycountry
from sqlalchemy import and_, false, func, or_, true
from sqlalchemy.sql.elements import ColumnElement

from policies.catalogue import EU, GLOBAL, default_catalogue
from policies.errors import UnknownJurisdiction
from workbench.services.validation import COUNTRY_CODES

ALL_LANGUAGES = "*"


class ScopeError(ValueError):
    def __init__(self, message: str, field: str):
        super().__init__(message)
        self.field = field  # "jurisdictions" or "languages"


@lru_cache(maxsize=1)
def _language_codes() -> dict[str, str]:
    """Every ISO 639-1 code, and the ISO 639-2/3 codes of the same languages, → ISO 639-1."""
    codes: dict[str, str] = {}
    for language in pycountry.languages:
        alpha_2 = getattr(language, "alpha_2", None)
        if not alpha_2:
            continue
        codes[alpha_2] = alpha_2
        for other in (getattr(language, "alpha_3", None), getattr(language, "bibliographic", None)):
            if other:
                codes.setdefault(other, alpha_2)
    return codes


def _split(value: str | Iterable[str] | None) -> list[str]:
    if value is None:
        return []
    parts = value.replace(";", ",").replace(" ", ",").split(",") if isinstance(value, str) else list(value)
    return [part.strip() for part in parts if part and part.strip()]


def parse_jurisdictions(value: str | Iterable[str] | None) -> list[str]:
    """ "de, EU" → ["DE", "EU"]; raises ScopeError naming the first unknown code."""
    catalogue = default_catalogue()
    result: list[str] = []
    for raw in _split(value):
        code = raw.upper()
        if code != GLOBAL and code not in COUNTRY_CODES and catalogue.get(code) is None:
            raise ScopeError(f"'{raw}' is not a country code (ISO 3166-1 alpha-2), EU or GLOBAL", "jurisdictions")
        if code not in result:
            result.append(code)
    if GLOBAL in result:
        return [GLOBAL]  # everything else is inside it
    return sorted(result, key=lambda code: (code != EU, code))


def parse_languages(value: str | Iterable[str] | None) -> list[str]:
    """ "de, EN" → ["de", "en"]; "*" → ["*"]; raises ScopeError on anything else."""
    result: list[str] = []
    for raw in _split(value):
        if raw == ALL_LANGUAGES:
            return [ALL_LANGUAGES]
        code = raw.lower()
        if len(code) != 2 or code not in _language_codes():
            raise ScopeError(f"'{raw}' is not an ISO 639-1 language code (such as de, en, pt) or *", "languages")
        if code not in result:
            result.append(code)
    return sorted(result)


def countries_of(jurisdictions: Iterable[str]) -> frozenset[str] | None:
    """The countries a list of jurisdictions covers; None = every country."""
    catalogue = default_catalogue()
    countries: set[str] = set()
    for code in jurisdictions or ():
        if code == GLOBAL:
            return None
        try:
            countries.update(catalogue.territory(code))
        except UnknownJurisdiction:
            continue  # a code the catalogue no longer knows grants nothing (fail closed)
    return frozenset(countries)


def languages_of(languages: Iterable[str]) -> frozenset[str] | None:
    """ISO 639-1 codes; None = any language."""
    codes = list(languages or ())
    if ALL_LANGUAGES in codes:
        return None
    return frozenset(code.lower() for code in codes)


def primary_language(tag: str | None) -> str | None:
    """A BCP 47 tag's language as ISO 639-1 where one exists: "pt-BR" → "pt", "deu" → "de"."""
    if not tag:
        return None
    primary = tag.split("-", 1)[0].strip().lower()
    return _language_codes().get(primary, primary) or None


def can_see(
    countries: frozenset[str] | None, languages: frozenset[str] | None, country: str | None, language: str | None
) -> bool:
    if countries is not None and (country or "").upper() not in countries:
        return False
    if languages is None:
        return True
    if not languages:
        return False
    item_language = primary_language(language)
    return item_language is None or item_language in languages


def _language_spellings(code: str) -> list[str]:
    """The ways an item's language column may spell an ISO 639-1 code ("de", "deu", "ger")."""
    return sorted(other for other, alpha_2 in _language_codes().items() if alpha_2 == code)


def scope_clause(
    countries: frozenset[str] | None, languages: frozenset[str] | None, country_column, language_column
) -> ColumnElement[bool]:
    """The SQL form of `can_see`, e.g. `select(Case).join(Item).where(scope_clause(..., Item.country,
    Item.language))`."""
    conditions = []
    if countries is not None:
        if not countries:
            return false()
        conditions.append(country_column.in_(sorted(countries)))
    if languages is not None:
        if not languages:
            return false()
        spellings = sorted({s for code in languages for s in _language_spellings(code)} | set(languages))
        lowered = func.lower(language_column)
        conditions.append(
            or_(
                language_column.is_(None),
                language_column == "",
                lowered.in_(spellings),
                *[lowered.like(f"{s}-%") for s in spellings],
            )
        )
    return and_(true(), *conditions)

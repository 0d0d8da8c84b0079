"""Region and language scope: parsing, EU expansion, the Python check and its SQL twin."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from sqlalchemy import select

from policies.catalogue import default_catalogue
from tests.support.accounts import make_items
from workbench.services.access.permissions import can_see_item, user_scope
from workbench.services.access.scope import (
    ScopeError,
    parse_jurisdictions,
    parse_languages,
    primary_language,
    scope_clause,
)


def person(jurisdictions, languages, active=True):
    return SimpleNamespace(is_authenticated=True, is_active=active, jurisdictions=jurisdictions, languages=languages)


@pytest.mark.parametrize(
    "text,expected",
    [
        ("de, fr", ["DE", "FR"]),
        ("FR;eu DE", ["EU", "DE", "FR"]),
        ("DE, global", ["GLOBAL"]),
        ("", []),
        (["gb", "GB"], ["GB"]),
    ],
)
def test_parse_jurisdictions(text, expected):
    assert parse_jurisdictions(text) == expected


@pytest.mark.parametrize("text", ["XX", "Germany", "EUR", "<b>"])
def test_parse_jurisdictions_refuses_unknown_codes(text):
    with pytest.raises(ScopeError) as error:
        parse_jurisdictions(text)
    assert error.value.field == "jurisdictions"


def test_parse_languages():
    assert parse_languages("EN, de,de") == ["de", "en"]
    assert parse_languages("de, *") == ["*"]
    assert parse_languages(None) == []
    for bad in ("deu", "german", "zz", "pt-BR"):
        with pytest.raises(ScopeError):
            parse_languages(bad)


def test_eu_expands_through_the_policies_catalogue():
    countries, languages = user_scope(person(["EU"], ["de"]))
    assert countries == default_catalogue().get("EU").members
    assert {"DE", "FR", "IE", "PL"} <= countries and not {"GB", "US", "CH"} & countries
    assert languages == frozenset({"de"})


def test_global_and_any_language_mean_everything():
    assert user_scope(person(["GLOBAL"], ["*"])) == (None, None)
    assert can_see_item(person(["GLOBAL"], ["*"]), "BR", "pt-BR")


def test_no_scope_no_cases_and_inactive_users_see_nothing():
    assert user_scope(person([], [])) == (frozenset(), frozenset())
    assert not can_see_item(person([], ["*"]), "DE", "de")
    assert not can_see_item(person(["GLOBAL"], []), "DE", "de")
    assert not can_see_item(person(["GLOBAL"], ["*"], active=False), "DE", "de")
    assert not can_see_item(SimpleNamespace(is_authenticated=False), "DE", "de")


@pytest.mark.parametrize(
    "country,language,visible",
    [
        ("DE", "de", True),
        ("de", "de", True),  # the country's case does not matter
        ("AT", "de-AT", True),  # a regional tag's primary language counts
        ("FR", "deu", True),  # ISO 639-2 spelling of German
        ("FR", "ger", True),  # and the bibliographic one
        ("FR", "fr", True),
        ("FR", None, True),  # unknown language: visible to everyone covering the country
        ("FR", "es", False),
        ("GB", "en", True),  # GB is listed on its own next to EU
        ("US", "en", False),  # outside the jurisdictions
        ("CH", "de", False),  # Switzerland is not in the EU/EEA
    ],
)
def test_can_see_item(country, language, visible):
    assert can_see_item(person(["EU", "GB"], ["de", "fr", "en"]), country, language) is visible


def test_primary_language():
    assert primary_language("pt-BR") == "pt" and primary_language("zh-Hant-TW") == "zh"
    assert primary_language("DEU") == "de" and primary_language(None) is None and primary_language("") is None


USERS = [
    (["EU"], ["de"]),
    (["GB", "US"], ["*"]),
    (["GLOBAL"], ["en", "pt"]),
    (["FR"], []),
    ([], ["*"]),
    (["GLOBAL"], ["*"]),
    (["DE", "AT"], ["de", "fr"]),
]
ITEMS = [
    ("DE", "de"),
    ("DE", "en"),
    ("AT", "de-AT"),
    ("FR", None),
    ("FR", "fra"),
    ("GB", "en"),
    ("US", "es"),
    ("BR", "pt-BR"),
    ("BR", "PT"),
    ("CH", "de"),
    ("DE", ""),
    ("IN", "hi"),
]


def test_the_sql_clause_agrees_with_the_python_check(app):
    from workbench.extensions import db
    from workbench.models import Item

    ids = make_items(app, ITEMS)
    by_id = dict(zip(ids, ITEMS))
    with app.app_context():
        for jurisdictions, languages in USERS:
            user = person(jurisdictions, languages)
            clause = scope_clause(*user_scope(user), Item.country, Item.language)
            in_sql = set(db.session.scalars(select(Item.id).where(clause)))
            in_python = {
                item_id for item_id, (country, language) in by_id.items() if can_see_item(user, country, language)
            }
            assert in_sql == in_python, (jurisdictions, languages)
        assert (
            len(
                set(
                    db.session.scalars(
                        select(Item.id).where(
                            scope_clause(*user_scope(person(["EU"], ["de"])), Item.country, Item.language)
                        )
                    )
                )
            )
            == 4
        )

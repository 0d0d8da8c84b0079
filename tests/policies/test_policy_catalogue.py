"""The jurisdiction catalogue: applicable packs, deadlines with citations, retention, SoR."""

import pytest

from policies import default_catalogue, load_catalogue
from policies.dsa import eu_eea_countries


@pytest.fixture(scope="module")
def catalogue():
    return default_catalogue()


@pytest.mark.parametrize(
    "country,expected",
    [
        ("DE", ["GLOBAL", "EU", "DE"]),
        ("FR", ["GLOBAL", "EU", "FR"]),
        ("GR", ["GLOBAL", "EU", "GR"]),
        ("NO", ["GLOBAL", "EU", "NO"]),  # EEA, and not read as YAML `false`
        ("gb", ["GLOBAL", "GB"]),
        ("US", ["GLOBAL", "US"]),
        (None, ["GLOBAL"]),
    ],
)
def test_applicable_jurisdictions(catalogue, country, expected):
    assert catalogue.applicable_jurisdictions(country) == expected


def test_every_eu_eea_country_gets_the_eu_pack(catalogue):
    for country in eu_eea_countries():
        assert "EU" in catalogue.applicable_jurisdictions(country)
    for country in ("CH", "GB", "TR", "UA", "EL"):
        assert "EU" not in catalogue.applicable_jurisdictions(country)


@pytest.mark.parametrize(
    "jurisdiction,name,hours,cites",
    [
        ("DE", "manifestly_unlawful", 24, "(NetzDG) s. 3(2) no. 2"),
        ("DE", "unlawful", 168, "NetzDG s. 3(2) no. 3"),
        ("EU", "terrorist_content_removal_order", 1, "Art. 3(3)"),
        ("DE", "terrorist_content_removal_order", 1, "2021/784"),  # inherited from the EU
        ("AU", "esafety_removal_notice", 24, "Online Safety Act 2021"),
        ("IN", "government_or_court_order", 36, "rule 3(1)(d)"),
        ("IN", "ncii_complaint", 24, "rule 3(2)(b)"),
        ("GB", "illegal_content", None, "Online Safety Act 2023"),
        ("US", "csam_report", None, "2258A"),
    ],
)
def test_deadlines_have_citations(catalogue, jurisdiction, name, hours, cites):
    cls = catalogue.content_class(jurisdiction, name)
    assert cls.deadline_hours == hours
    assert cites in cls.citation


@pytest.mark.parametrize(
    "jurisdiction,name,period,days",
    [
        ("DE", "manifestly_unlawful", "P10W", 70),
        ("EU", "terrorist_content_removal_order", "P6M", 186),
        ("US", "csam_report", "P1Y", 365),
        ("IN", "government_or_court_order", "P180D", 180),
    ],
)
def test_retention_periods(catalogue, jurisdiction, name, period, days):
    retention = catalogue.content_class(jurisdiction, name).retention
    assert (retention.period, retention.approx_days) == (period, days)
    assert retention.citation


def test_content_classes_do_not_leak_between_countries(catalogue):
    assert catalogue.content_class("FR", "manifestly_unlawful") is None
    assert catalogue.content_class("US", "terrorist_content_removal_order") is None
    assert catalogue.content_class("US", "platform_urgent").jurisdiction == "GLOBAL"


def test_statement_of_reasons_required_only_in_eu_eea(catalogue):
    assert catalogue.statement_of_reasons_required(catalogue.applicable_jurisdictions("DE"))
    assert catalogue.statement_of_reasons_required(catalogue.applicable_jurisdictions("IS"))
    for country in ("US", "GB", "IN", "AU", "BR"):
        assert not catalogue.statement_of_reasons_required(catalogue.applicable_jurisdictions(country))
    assert "Art. 17" in catalogue.get("EU").statement_of_reasons_citation


def test_territories(catalogue):
    assert catalogue.territory("GLOBAL") is None
    assert catalogue.territory("EU") == eu_eea_countries()
    assert catalogue.territory("DE") == {"DE"}
    assert catalogue.territory("BR") == {"BR"}  # a country without a catalogue entry


@pytest.mark.parametrize(
    "text,fragment",
    [
        ("jurisdictions: {GLOBAL: {}, DE: {parent: XX}}", "unknown parent"),
        ("jurisdictions: {GLOBAL: {content_classes: {a: {deadline_hours: 1}}}}", "needs a citation"),
        ("jurisdictions: {GLOBAL: {content_classes: {a: {citation: x, deadline_hours: -1}}}}", "positive"),
        ("jurisdictions: {GLOBAL: {content_classes: {a: {citation: x, retention: 10 weeks}}}}", "ISO 8601"),
        ("jurisdictions: {DE: {}}", "GLOBAL"),
    ],
)
def test_bad_catalogue_is_rejected(text, fragment):
    with pytest.raises(ValueError) as raised:
        load_catalogue(text)
    assert fragment in str(raised.value)

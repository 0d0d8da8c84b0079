"""The jurisdiction catalogue: applicable packs, deadlines with citations, holds, ranks, SoR."""

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
        ("EU", "terrorist_content_removal_order", 1, "Art. 3(3)"),
        ("DE", "terrorist_content_removal_order", 1, "2021/784"),  # inherited from the EU
        ("DE", "illegal_content_notice", None, "2022/2065, Art. 16"),  # German notices: DSA Art. 16
        ("AU", "esafety_removal_notice", 24, "ss. 65, 77, 88 and 109"),
        ("IN", "government_or_court_order", 3, "rule 3(1)(d)"),
        ("IN", "ncii_complaint", 2, "rule 3(2)(b)"),
        ("GB", "illegal_content", None, "Online Safety Act 2023"),
        ("GB", "intimate_image_report", 48, "s. 10(3A)"),
        ("US", "csam_report", None, "2258A"),
        ("US", "ncii_removal_request", 48, "Pub. L. 119-12"),
    ],
)
def test_deadlines_have_citations(catalogue, jurisdiction, name, hours, cites):
    cls = catalogue.content_class(jurisdiction, name)
    assert cls.deadline_hours == hours
    assert cites in cls.citation


def test_the_netzdg_deadline_classes_are_retired(catalogue):
    assert catalogue.content_class("DE", "manifestly_unlawful") is None
    assert catalogue.content_class("DE", "unlawful") is None
    assert catalogue.get("DE").content_classes == {}
    assert not any("NetzDG" in cls.citation for cls in catalogue.classes())
    (note,) = catalogue.get("DE").notes  # s. 5: the authorised recipient, without a deadline
    assert "NetzDG) s. 5" in note.citation and "authorised recipient" in note.obligation


def test_every_class_cites_its_source_and_when_it_was_checked(catalogue):
    for cls in catalogue.classes():
        assert cls.citation and cls.checked_on == "2026-12-03", cls.key
        assert cls.starts in ("order_receipt", "notice_receipt", "request_receipt", "detection"), cls.key
        assert cls.trigger, cls.key


def test_content_classes_do_not_leak_between_countries(catalogue):
    assert catalogue.content_class("FR", "ncii_complaint") is None
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
        ("jurisdictions: {GLOBAL: {content_classes: {a: {citation: x}}}}", "checked_on must be a date"),
        ("jurisdictions: {GLOBAL: {content_classes: {a: {citation: x, checked_on: 3.12.2026}}}}", "YYYY-MM-DD"),
        (
            "jurisdictions: {GLOBAL: {content_classes: {a: {citation: x, checked_on: 2026-12-03, starts: upload}}}}",
            "starts must be one of",
        ),
        (
            "jurisdictions: {GLOBAL: {content_classes: {a: {citation: x, checked_on: 2026-12-03,"
            " hold: {period: 10 weeks, starts: removal, citation: y}}}}}",
            "ISO 8601",
        ),
        (
            "jurisdictions: {GLOBAL: {content_classes: {a: {citation: x, checked_on: 2026-12-03,"
            " hold: {period: P6M, starts: upload, citation: y}}}}}",
            "hold starts must be one of",
        ),
        (
            "jurisdictions: {GLOBAL: {content_classes: {a: {citation: x, checked_on: 2026-12-03, retention: P6M}}}}",
            "hold:",
        ),
        (
            "jurisdictions: {GLOBAL: {authority_ranks: {court: Court},"
            " content_classes: {a: {citation: x, checked_on: 2026-12-03, rank: {accepted: [colonel]}}}}}",
            "unknown: ['colonel']",
        ),
        (
            "jurisdictions: {GLOBAL: {content_classes: {a: {citation: x, checked_on: 2026-12-03, manual: true}}}}",
            "needs a hold",
        ),
        ("jurisdictions: {DE: {}}", "GLOBAL"),
    ],
)
def test_bad_catalogue_is_rejected(text, fragment):
    with pytest.raises(ValueError) as raised:
        load_catalogue(text)
    assert fragment in str(raised.value)

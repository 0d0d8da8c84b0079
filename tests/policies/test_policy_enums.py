"""The library's copy of the DSA enums agrees with the Transparency Database's and with the schema."""

from policies.dsa import dsa_enums, eu_eea_countries
from policies.schema_check import pack_schema
from tests.support.reference import dsa_transparency_db_enums


def test_copy_matches_reference():
    copy, reference = dsa_enums(), dsa_transparency_db_enums()
    assert copy, "the copy is empty"
    assert set(copy) <= set(reference)
    for name, values in copy.items():
        assert values == reference[name], name


def test_copy_has_what_the_schema_needs():
    copy = dsa_enums()
    assert len(copy["STATEMENT_CATEGORIES"]) == 16
    assert len(copy["COUNTRIES"]) == 30 and "GR" in copy["COUNTRIES"] and "EL" not in copy["COUNTRIES"]
    assert set(copy["DECISION_GROUNDS"]) == {"DECISION_GROUND_ILLEGAL_CONTENT", "DECISION_GROUND_INCOMPATIBLE_CONTENT"}


def test_schema_enums_are_the_copy():
    legal = pack_schema()["$defs"]["legal"]["properties"]
    copy = dsa_enums()
    assert legal["category"]["enum"] == copy["STATEMENT_CATEGORIES"]
    assert legal["category_addition"]["items"]["enum"] == copy["STATEMENT_CATEGORIES"]
    assert legal["category_specification"]["items"]["enum"] == copy["KEYWORDS"]
    assert legal["content_type"]["items"]["enum"] == copy["CONTENT_TYPES"]
    assert legal["decision_ground"]["enum"] == copy["DECISION_GROUNDS"]
    assert legal["incompatible_content_illegal"]["enum"] == copy["INCOMPATIBLE_CONTENT_ILLEGALS"]


def test_schema_notes_dsa_length_limits():
    legal = pack_schema()["$defs"]["legal"]["properties"]
    assert legal["illegal_content_legal_ground"]["maxLength"] == 500
    assert legal["incompatible_content_ground"]["maxLength"] == 500
    assert legal["illegal_content_explanation"]["maxLength"] == 2000
    assert legal["incompatible_content_explanation"]["maxLength"] == 2000
    assert legal["decision_ground_reference_url"]["maxLength"] == 500


def test_catalogue_eu_members_are_the_dsa_countries():
    from policies import default_catalogue

    assert default_catalogue().get("EU").members == eu_eea_countries()

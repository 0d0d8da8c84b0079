"""Evidence holds and authority ranks from the catalogue: calendar arithmetic, GDPR basis, rank checks."""

from datetime import UTC, datetime

import pytest

from policies import Report, default_catalogue
from policies.holds import GDPR_NON_EU_LAW, GDPR_UNION_LAW, HoldRule, add_period


@pytest.fixture(scope="module")
def catalogue():
    return default_catalogue()


def at(year, month, day, hour=0, minute=0):
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


@pytest.mark.parametrize(
    "start,period,end",
    [
        (at(2026, 1, 31), "P6M", at(2026, 7, 31)),
        (at(2026, 8, 31), "P6M", at(2027, 2, 28)),  # no 31 February: the month's last day
        (at(2027, 8, 31), "P6M", at(2028, 2, 29)),  # a leap year's last day of February
        (at(2026, 3, 31), "P1M", at(2026, 4, 30)),
        (at(2024, 2, 29), "P1Y", at(2025, 2, 28)),
        (at(2024, 2, 29), "P4Y", at(2028, 2, 29)),
        (at(2025, 12, 15, 9, 30), "P1M", at(2026, 1, 15, 9, 30)),  # across the year, time of day kept
        (at(2024, 2, 1), "P180D", at(2024, 7, 30)),  # days are days: 29 in February 2024
        (at(2025, 2, 1), "P180D", at(2025, 7, 31)),
        (at(2026, 1, 1), "P90D", at(2026, 4, 1)),
        (at(2026, 1, 1), "P2W", at(2026, 1, 15)),
        (at(2026, 1, 31), "P1Y1M", at(2027, 2, 28)),
    ],
)
def test_hold_ends_by_the_calendar(start, period, end):
    assert add_period(start, period) == end
    assert HoldRule(period, "removal", "c", GDPR_UNION_LAW).ends(start) == end


@pytest.mark.parametrize("period", ["", "P", "6 months", "P6X", "P1.5Y", "PT1H"])
def test_a_period_that_is_not_iso_8601_is_refused(period):
    with pytest.raises(ValueError):
        add_period(at(2026, 1, 1), period)


@pytest.mark.parametrize(
    "jurisdiction,name,period,starts,basis",
    [
        ("EU", "terrorist_content_removal_order", "P6M", "removal", GDPR_UNION_LAW),
        ("DE", "terrorist_content_removal_order", "P6M", "removal", GDPR_UNION_LAW),  # via the EU
        ("IN", "government_or_court_order", "P180D", "removal", GDPR_NON_EU_LAW),
        ("IN", "ncii_complaint", "P180D", "removal", GDPR_NON_EU_LAW),
        ("US", "csam_report", "P1Y", "authority_report", GDPR_NON_EU_LAW),
        ("US", "preservation_request", "P90D", "order_receipt", GDPR_NON_EU_LAW),
    ],
)
def test_hold_rules_of_the_catalogue(catalogue, jurisdiction, name, period, starts, basis):
    hold = catalogue.hold_rule(jurisdiction, name)
    assert (hold.period, hold.starts, hold.gdpr_basis) == (period, starts, basis)
    assert hold.citation


def test_gdpr_bases_are_the_two_the_law_allows(catalogue):
    assert GDPR_UNION_LAW == "GDPR Art. 6(1)(c), Art. 17(3)(b)"
    assert GDPR_NON_EU_LAW == "GDPR Art. 6(1)(f) (and Art. 17(3)(e) where legal claims)"
    assert {cls.hold.gdpr_basis for cls in catalogue.classes() if cls.hold} == {GDPR_UNION_LAW, GDPR_NON_EU_LAW}


def test_2703f_preservation_is_a_manual_hold_extendable_once(catalogue):
    cls = catalogue.content_class("US", "preservation_request")
    assert cls.manual and cls.verify
    end = cls.hold.ends(at(2026, 1, 1))
    assert cls.hold.extended_end(end) == at(2026, 6, 30)


def test_classes_without_a_hold(catalogue):
    assert catalogue.hold_rule("EU", "illegal_content_notice") is None
    assert catalogue.hold_rule("GB", "csea_report") is None  # SI 2026/268's retention periods unread
    assert catalogue.hold_rule("US", "no_such_class") is None


def order(rank, issued_in="IN", authority="MeitY"):
    return Report("authority_order", "other", issued_in, authority, rank)


@pytest.mark.parametrize(
    "rank", ["court", "joint_secretary", "director", "secretary", "deputy_inspector_general", "inspector_general"]
)
def test_indian_orders_from_a_qualifying_rank_may_be_acted_on(catalogue, rank):
    assert catalogue.check_authority(order(rank)) is None


@pytest.mark.parametrize("rank", ["deputy_secretary", "under_secretary", "superintendent_of_police", "colonel"])
def test_indian_orders_below_the_rank_are_refused_naming_the_rule(catalogue, rank):
    problem = catalogue.check_authority(order(rank))
    assert problem.code == "authority_rank_insufficient"
    assert problem.rule == "IN.government_or_court_order"
    assert "775(E)" in problem.citation
    assert "Joint Secretary" in problem.message and "IN.government_or_court_order" in problem.message


def test_an_indian_order_without_a_rank_is_refused(catalogue):
    problem = catalogue.check_authority(order(None))
    assert problem.code == "authority_rank_missing"
    assert problem.rule == "IN.government_or_court_order"
    assert "joint_secretary" in problem.message
    assert problem.to_dict()["code"] == "authority_rank_missing"


@pytest.mark.parametrize(
    "report",
    [
        Report("authority_order", "terrorism", "FR", "OCLCTIC"),  # no rank requirement in the EU
        Report("authority_order", "other", "AU", "eSafety Commissioner"),
        Report("authority_order", "other", None),  # where it was issued is not known
        Report("user", "ncii", "IN"),  # not an order
        Report("authority_order", "other", "BR", "STF"),  # no catalogue entry
    ],
)
def test_orders_without_a_rank_requirement_pass(catalogue, report):
    assert catalogue.check_authority(report) is None


def test_rank_vocabulary(catalogue):
    codes = catalogue.rank_codes("IN")
    assert {"court", "joint_secretary", "director", "deputy_inspector_general"} <= set(codes)
    assert catalogue.rank_codes("in") == codes
    assert catalogue.rank_codes("US") == () and catalogue.rank_codes("XX") == ()
    accepted = catalogue.content_class("IN", "government_or_court_order").rank.accepted
    assert set(accepted) <= set(codes) and "deputy_secretary" not in accepted


def test_report_normalises_its_issuer():
    report = Report("authority_order", "other", " in ", " MeitY ", " Joint_Secretary ")
    assert (report.issuing_jurisdiction, report.authority, report.authority_rank) == ("IN", "MeitY", "joint_secretary")
    assert Report("user", "spam", "").issuing_jurisdiction is None

"""Evidence holds the law requires: how long, from which event, and the GDPR basis for keeping.

A hold's end is calendar arithmetic on the ISO 8601 period: months and years move the date and
clamp to the month's last day (P6M from 31 January is 31 July; P1Y from 29 February is
28 February), weeks and days are exact.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # model.py imports the catalogue, which imports this module
    from .model import RuleRef

DURATION = re.compile(r"^P(?:(\d+)Y)?(?:(\d+)M)?(?:(\d+)W)?(?:(\d+)D)?$")
# The events a hold is counted from; the workbench records each moment on the item.
HOLD_STARTS = ("removal", "authority_report", "order_receipt")
GDPR_UNION_LAW = "GDPR Art. 6(1)(c), Art. 17(3)(b)"
GDPR_NON_EU_LAW = "GDPR Art. 6(1)(f) (and Art. 17(3)(e) where legal claims)"


def parse_period(period: str) -> tuple[int, int, int, int]:
    """(years, months, weeks, days) of an ISO 8601 period such as P6M or P180D; ValueError if not one."""
    match = DURATION.match(period or "")
    if not match or period == "P":
        raise ValueError(f"{period!r} is not an ISO 8601 duration such as P6M, P180D or P1Y")
    years, months, weeks, days = (int(x or 0) for x in match.groups())
    return years, months, weeks, days


def add_period(start: datetime, period: str) -> datetime:
    """`start` plus the period, by the calendar (see the module docstring)."""
    years, months, weeks, days = parse_period(period)
    month_index = start.month - 1 + months + 12 * years
    year, month = start.year + month_index // 12, month_index % 12 + 1
    day = min(start.day, calendar.monthrange(year, month)[1])
    return start.replace(year=year, month=month, day=day) + timedelta(weeks=weeks, days=days)


@dataclass(frozen=True, slots=True)
class HoldRule:
    """A preservation duty of a content class.

    `starts` is the event the period counts from: "removal", "authority_report" (the report to
    the authority, e.g. NCMEC's CyberTipline) or "order_receipt" (the order or request arrived).
    `extension` is a further period the law allows once on a renewed request (18 U.S.C. 2703(f)).
    """

    period: str
    starts: str
    citation: str
    gdpr_basis: str
    extension: str | None = None
    verify: str | None = None

    def ends(self, start: datetime) -> datetime:
        return add_period(start, self.period)

    def extended_end(self, end: datetime) -> datetime | None:
        return add_period(end, self.extension) if self.extension else None

    @property
    def approx_days(self) -> int:
        years, months, weeks, days = parse_period(self.period)
        # Only to compare periods with one another; ends() gives the real date.
        return years * 365 + months * 31 + weeks * 7 + days

    def to_dict(self) -> dict:
        return {
            "period": self.period,
            "starts": self.starts,
            "citation": self.citation,
            "gdpr_basis": self.gdpr_basis,
            "extension": self.extension,
            "verify": self.verify,
        }


@dataclass(frozen=True, slots=True)
class HoldRequirement:
    """A hold a decision plan asks for: the class that requires it and the rule that fired."""

    jurisdiction: str
    content_class: str
    hold: HoldRule
    rule: RuleRef

    def to_dict(self) -> dict:
        return {
            "jurisdiction": self.jurisdiction,
            "content_class": self.content_class,
            **self.hold.to_dict(),
            "rule": self.rule.to_dict(),
        }

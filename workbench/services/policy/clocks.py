"""When a legal clock started: the receipt of the report that made a rule match.

A removal order's hour runs from the order's receipt (TCO Art. 3(3)), an NCII request's 48 hours
from the request (TAKE IT DOWN Act), an Indian order's preservation from the order. The report
that started it is the first one after which the rule's condition holds: the reports are added
in the order they arrived until it does (a binary search over those prefixes, so an item with
thousands of notices costs a few condition tests).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from policies import ItemFacts, PolicySet
from policies.model import CompiledRule, RuleRef
from workbench.models import Report

# The content-class `starts` values whose clock is a report's receipt (policies' catalogue).
RECEIPT_STARTS = frozenset({"order_receipt", "notice_receipt", "request_receipt"})


def report_times(session: Session, item_id: int) -> list[datetime]:
    """received_at of the item's reports, in the order load_facts lists them (by id)."""
    return list(session.scalars(select(Report.received_at).where(Report.item_id == item_id).order_by(Report.id)))


def _rule(policy_set: PolicySet, ref: RuleRef) -> CompiledRule | None:
    pack = policy_set.packs.get(ref.jurisdiction)
    if pack is None or str(pack.version) != str(ref.pack_version):
        return None
    try:
        return pack.rule(ref.rule_id)
    except KeyError:
        return None


def triggered_at(policy_set: PolicySet, facts: ItemFacts, times: Sequence[datetime], ref: RuleRef) -> datetime | None:
    """The receipt of the report after which the rule first matches; None when it matches
    without any report (or not at all, or the rule is unknown)."""
    rule = _rule(policy_set, ref)
    if rule is None or not facts.reports or len(times) != len(facts.reports):
        return None
    order = sorted(range(len(times)), key=lambda i: (times[i], i))  # by arrival
    reports = [facts.reports[i] for i in order]

    def matches(count: int) -> bool:
        return bool(rule.condition.test(dataclasses.replace(facts, reports=tuple(reports[:count]))))

    if matches(0) or not matches(len(reports)):
        return None
    low, high = 1, len(reports)  # the smallest prefix that matches
    while low < high:
        middle = (low + high) // 2
        if matches(middle):
            high = middle
        else:
            low = middle + 1
    return times[order[low - 1]]

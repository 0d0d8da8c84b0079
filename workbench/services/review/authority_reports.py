"""Reports to authorities (models/authority_report.py): 18 U.S.C. 2258A reports to NCMEC's
CyberTipline, and the like.

A rule with a `report_authority` action (an automated decision) or a reviewer's decision under
a rule whose content class calls for a report leaves a pending report on the item; a person
records it once made (who, when, the authority's reference). Recording places the law's hold
counted from the report's time, replacing the provisional one counted from detection
(18 U.S.C. 2258A(h): one year after the report).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from policies.model import RuleRef
from workbench import audit
from workbench.audit import Actor
from workbench.models import AuthorityReport, Case, Decision, Item
from workbench.models.base import utcnow
from workbench.services.privacy.decision_holds import RuleLookup, decision_rule_refs, place_decision_holds
from workbench.services.privacy.holds import catalogue_requirement, place_catalogue_holds
from workbench.services.review.claims import _load
from workbench.services.review.decisions import DECISION_HOOKS
from workbench.settings import Settings

MAX_REFERENCE = 128
REPORTS_ACTOR = Actor.system("authority-reports")


@dataclass(frozen=True)
class AuthorityDuty:
    jurisdiction: str  # the catalogue class that names the duty and its hold
    content_class: str
    law: str
    reference_label: str


AUTHORITIES = {
    "NCMEC": AuthorityDuty("US", "csam_report", "18 U.S.C. 2258A", "CyberTipline report id"),
    "NCA": AuthorityDuty("GB", "csea_report", "Online Safety Act 2023 s. 66", "NCA report reference"),
}


class AuthorityReportError(ValueError):
    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.message, self.field = message, field


def _duty(authority: str) -> AuthorityDuty:
    duty = AUTHORITIES.get((authority or "").strip().upper())
    if duty is None:
        raise AuthorityReportError(f"Unknown authority {authority!r}; known: {', '.join(AUTHORITIES)}.", "authority")
    return duty


def reports_of_item(session: Session, item_id: int) -> list[AuthorityReport]:
    return list(
        session.scalars(select(AuthorityReport).where(AuthorityReport.item_id == item_id).order_by(AuthorityReport.id))
    )


def request_authority_report(
    session: Session,
    item: Item,
    authority: str,
    *,
    actor: Actor = REPORTS_ACTOR,
    rule: str | None = None,
    case_id: int | None = None,
    decision_id: int | None = None,
) -> AuthorityReport:
    """A pending report (no reference yet); one per item and authority (no commit)."""
    authority = authority.strip().upper()
    existing = session.scalar(
        select(AuthorityReport).where(AuthorityReport.item_id == item.id, AuthorityReport.authority == authority)
    )
    if existing is not None:
        return existing
    duty = AUTHORITIES.get(authority)
    report = AuthorityReport(
        item_id=item.id,
        case_id=case_id,
        decision_id=decision_id,
        authority=authority,
        law=duty.law if duty else "",
        rule=rule,
        created_at=utcnow(),
    )
    session.add(report)
    session.flush()
    audit.record(
        session,
        actor,
        "authority_report.requested",
        "item",
        item.id,
        report_id=report.id,
        authority=authority,
        rule=rule,
    )
    return report


def record_authority_report(
    session: Session,
    item: Item,
    actor: Actor,
    authority: str,
    reference: str,
    reported_at: datetime,
    case: Case | None = None,
    decision: Decision | None = None,
    *,
    now: datetime | None = None,
) -> AuthorityReport:
    """Record a report made to `authority` (reference, time) and place the hold counted from it.
    Fills the item's pending report if there is one. Raises AuthorityReportError (no commit)."""
    now = now or utcnow()
    duty = _duty(authority)
    authority = authority.strip().upper()
    reference = (reference or "").strip()
    if not reference:
        raise AuthorityReportError(f"Give the {duty.reference_label}.", "reference")
    if len(reference) > MAX_REFERENCE or not reference.isprintable():
        raise AuthorityReportError(
            f"The {duty.reference_label} is at most {MAX_REFERENCE} printable characters.", "reference"
        )
    if reported_at.tzinfo is None:
        raise AuthorityReportError("The report's time needs a time zone.", "reported_at")
    if reported_at > now:
        raise AuthorityReportError("The report's time is in the future.", "reported_at")
    if reported_at < item.created_at.replace(second=0, microsecond=0):  # forms give minutes
        raise AuthorityReportError("The report's time is before the item was received.", "reported_at")
    rows = [r for r in reports_of_item(session, item.id) if r.authority == authority]
    same = next((r for r in rows if r.reference == reference), None)
    if same is not None:
        return same  # recorded before: the same report twice is one
    report = next((r for r in rows if r.pending), None)
    if report is None:
        report = AuthorityReport(item_id=item.id, authority=authority, law=duty.law, created_at=now)
        session.add(report)
    report.law = report.law or duty.law
    report.reference, report.reported_at = reference, reported_at
    report.reported_by_user_id = int(actor.id) if actor.type == "user" else None
    report.case_id = report.case_id or (case.id if case else None)
    report.decision_id = report.decision_id or (decision.id if decision else None)
    session.flush()
    audit.record(
        session,
        actor,
        "authority_report.recorded",
        "item",
        item.id,
        report_id=report.id,
        authority=authority,
        law=report.law,
        reference=reference,
        reported_at=reported_at,
        case_id=report.case_id,
    )
    requirement = catalogue_requirement(duty.jurisdiction, duty.content_class, RuleRef("", "", ""))
    if requirement is not None:
        place_catalogue_holds(session, item, [requirement], {"authority_report": reported_at}, actor=actor)
    return report


def record_case_report(
    session: Session, case_id: int, user, *, authority: str, reference: str, reported_at: datetime
) -> AuthorityReport:
    """A reviewer records the report their case called for (a decision under a reporting rule,
    or a rule's automated report). Raises CaseNotFound out of scope, AuthorityReportError. Commits."""
    case = _load(session, case_id, user)
    item = session.get(Item, case.item_id)
    authority = (authority or "").strip().upper()
    if not any(r.authority == authority for r in reports_of_item(session, item.id)):
        raise AuthorityReportError(
            f"No report to {authority or 'an authority'} is called for on this case; legal can record one on the item.",
            "authority",
        )
    decision = session.get(Decision, case.closed_by_decision_id) if case.closed_by_decision_id else None
    report = record_authority_report(
        session, item, Actor.user(user.id), authority, reference, reported_at, case=case, decision=decision
    )
    session.commit()
    return report


# --- where reports are called for ----------------------------------------------------------


def request_reports_for_automated_decision(session: Session, item: Item, decision: Decision) -> list[AuthorityReport]:
    """Pending reports for the effective `report_authority` actions of an automated decision."""
    found = []
    for action in decision.actions or []:
        if action.get("action") != "report_authority" or action.get("superseded_by") is not None:
            continue
        authority = str(action.get("authority") or "").strip()
        if authority:
            rule = action.get("rule") or {}
            ref = f"{rule.get('jurisdiction')}@{rule.get('pack_version')}:{rule.get('rule_id')}"
            found.append(
                request_authority_report(
                    session, item, authority, rule=ref, case_id=decision.case_id, decision_id=decision.id
                )
            )
    return found


def _reporting_authority(refs, rules: RuleLookup) -> tuple[str, str] | None:
    """(authority, rule) when one of the rules calls for a report to an authority."""
    for jurisdiction, version, rule_id in sorted(refs):
        rule = rules.get(jurisdiction, version, rule_id)
        if rule is None:
            continue
        ref = f"{jurisdiction}@{version}:{rule_id}"
        for action in rule.actions:
            if action.name == "report_authority" and action.get("authority"):
                return str(action.get("authority")), ref
        content_class = rule.content_class
        for authority, duty in AUTHORITIES.items():
            if content_class is not None and (content_class.jurisdiction, content_class.name) == (
                duty.jurisdiction,
                duty.content_class,
            ):
                return authority, ref
    return None


def on_human_decision(session: Session, decision: Decision, settings: Settings) -> None:
    """A review decision hook: the decision's holds from its time, and a pending report when a
    restricting decision rests on, or closes a case routed by, a rule that calls for one (a
    reviewer's CSAM finding); its hold runs from the decision until the report is recorded."""
    if decision.automated or decision.visibility == "visible":
        return
    rules = RuleLookup(session)
    place_decision_holds(session, decision, rules)
    refs = decision_rule_refs(decision)
    case = session.get(Case, decision.case_id) if decision.case_id else None
    if case is not None:
        refs.add((case.rule_jurisdiction, int(case.rule_pack_version), case.rule_id))
    found = _reporting_authority(refs, rules)
    if found is None:
        return
    item = session.get(Item, decision.item_id)
    authority, rule = found
    request_authority_report(
        session,
        item,
        authority,
        actor=Actor.user(decision.decided_by_user_id) if decision.decided_by_user_id else REPORTS_ACTOR,
        rule=rule,
        case_id=decision.case_id,
        decision_id=decision.id,
    )
    duty = AUTHORITIES.get(authority.upper())
    requirement = catalogue_requirement(duty.jurisdiction, duty.content_class) if duty else None
    if requirement is not None:
        place_catalogue_holds(session, item, [requirement], {"detection": decision.decided_at})


def install_hooks() -> None:
    if on_human_decision not in DECISION_HOOKS:
        DECISION_HOOKS.append(on_human_decision)

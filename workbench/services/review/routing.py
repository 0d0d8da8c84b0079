"""Applying a stored policy plan: cases in review queues and automated decisions.

Only enforced actions are applied (shadow hits are in the plan for the hit rates and nothing
else). Re-applying the same plan changes nothing; a plan from newer facts tightens the item's
open case (strictest deadline, most urgent priority) instead of opening a second one.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from policies.plan import SEVERITY
from policies.vocabulary import PRIORITY_RANK
from workbench import audit
from workbench.audit import Actor, canonical_json
from workbench.models import Appeal, Case, CaseStatus, Decision, Item, PolicyEvaluation
from workbench.models.base import utcnow
from workbench.services.privacy.holds import place_catalogue_holds
from workbench.services.qa.reviews import sample_decision
from workbench.services.review.authority_reports import request_reports_for_automated_decision
from workbench.services.webhooks.delivery import notify_decision

ROUTE_ACTOR = Actor.system("route")
# Actions a decision records; queue and escalate are the case's business, no_action is nothing.
DECIDED_ACTIONS = tuple(SEVERITY) + ("report_authority",)
VISIBILITY_BY_OUTCOME = {
    "remove": "removed",
    "geo_restrict": "geo_restricted",
    "age_restrict": "age_restricted",
    "demote": "demoted",
    "label": "labelled",
    "report_authority": "visible",
}


@dataclass(frozen=True)
class RouteResult:
    case: Case | None
    case_change: str | None  # opened | tightened | unchanged
    decision: Decision | None
    decision_change: str | None  # recorded | unchanged

    def summary(self) -> dict:
        return {
            "case_id": self.case.id if self.case else None,
            "case": self.case_change,
            "queue": self.case.queue if self.case else None,
            "decision_id": self.decision.id if self.decision else None,
            "decision": self.decision_change,
        }


def _ref_parts(ref: dict) -> tuple[str, int, str]:
    return ref["jurisdiction"], int(ref["pack_version"]), ref["rule_id"]


def _later(a: datetime | None, b: datetime | None) -> bool:
    """Is deadline `a` later than `b`? No deadline is the latest of all."""
    if a is None:
        return b is not None
    return b is not None and a > b


def case_jurisdictions(plan: dict) -> list[str]:
    """Whose law applies to the item (the plan's `applied`); plans stored before the
    applicability model list only the packs that ran."""
    applied = plan.get("applied")
    if applied:
        return [a["jurisdiction"] for a in applied]
    return [p["jurisdiction"] for p in plan["packs"]]


def open_case_for(session: Session, item_id: int) -> Case | None:
    return session.scalar(select(Case).where(Case.item_id == item_id, Case.status == CaseStatus.OPEN))


def _under_appeal(session: Session, case: Case) -> bool:
    return session.scalar(select(Appeal.id).where(Appeal.case_id == case.id).limit(1)) is not None


def _route_case(
    session: Session, item: Item, evaluation: PolicyEvaluation, plan: dict
) -> tuple[Case | None, str | None]:
    request = plan.get("queue")
    if not request:
        return None, None
    deadline = plan.get("deadline")
    hours = request.get("deadline_hours")
    # The clock starts at the receipt of the order or notice that made the deadline apply.
    started = evaluation.deadline_from or evaluation.facts_as_of
    due_at = started + timedelta(hours=hours) if hours is not None else None
    jurisdiction, version, rule_id = _ref_parts(request["rule"])
    escalations = [
        {"to": e.get("to"), "reason": e.get("reason"), "rule": e["rule"]} for e in plan.get("escalations", [])
    ]
    case = open_case_for(session, item.id)
    if case is not None and _under_appeal(session, case):
        # New reports on an item under appeal do not re-route its appeal case: a senior moderator
        # decides the appeal (and sees the reports on the case page); routing resumes after it.
        return case, "unchanged"
    if case is None:
        case = Case(
            item_id=item.id,
            queue=request["queue"],
            priority=request["priority"],
            priority_rank=PRIORITY_RANK[request["priority"]],
            status=CaseStatus.OPEN,
            due_at=due_at,
            deadline=deadline,
            rule_jurisdiction=jurisdiction,
            rule_pack_version=version,
            rule_id=rule_id,
            jurisdictions=case_jurisdictions(plan),
            escalations=escalations,
            evaluation_id=evaluation.id,
            created_at=utcnow(),
            updated_at=utcnow(),
        )
        session.add(case)
        session.flush()
        audit.record(
            session,
            ROUTE_ACTOR,
            "case.opened",
            "case",
            case.id,
            item_id=item.id,
            queue=case.queue,
            priority=case.priority,
            due_at=case.due_at,
            rule=f"{jurisdiction}@{version}:{rule_id}",
            evaluation_id=evaluation.id,
        )
        return case, "opened"
    changes = {}
    if _later(case.due_at, due_at):  # the new facts bring a stricter deadline: it wins, with its queue
        changes.update(
            due_at=due_at,
            deadline=deadline,
            queue=request["queue"],
            rule_jurisdiction=jurisdiction,
            rule_pack_version=version,
            rule_id=rule_id,
        )
    if PRIORITY_RANK[request["priority"]] < case.priority_rank:
        changes.update(priority=request["priority"], priority_rank=PRIORITY_RANK[request["priority"]])
    known = {(e["to"], e["rule"]["rule_id"]) for e in case.escalations or []}
    added = [e for e in escalations if (e["to"], e["rule"]["rule_id"]) not in known]
    if added:
        changes["escalations"] = list(case.escalations or []) + added
    jurisdictions = case_jurisdictions(plan)
    if jurisdictions != case.jurisdictions:
        changes["jurisdictions"] = jurisdictions
    if not changes:
        return case, "unchanged"
    for key, value in changes.items():
        setattr(case, key, value)
    case.evaluation_id = evaluation.id
    case.updated_at = utcnow()
    audit.record(
        session,
        ROUTE_ACTOR,
        "case.tightened",
        "case",
        case.id,
        item_id=item.id,
        queue=case.queue,
        priority=case.priority,
        due_at=case.due_at,
        changed=sorted(changes),
        evaluation_id=evaluation.id,
    )
    return case, "tightened"


def _decisive(effective: list[dict], plan: dict) -> dict:
    """The action the decision is named after: the statement of reasons' rule when there is one."""
    ranked = sorted(effective, key=lambda a: SEVERITY.get(a["action"], len(SEVERITY)))
    sor = plan.get("statement_of_reasons")
    if sor:
        for action in ranked:
            if action["rule"] == sor["rule"]:
                return action
    return ranked[0]


def _record_decision(
    session: Session, item: Item, evaluation: PolicyEvaluation, plan: dict, case: Case | None, qa_sample_rate: float
) -> tuple[Decision | None, str | None]:
    effective = [a for a in plan["actions"] if a["superseded_by"] is None and a["action"] in DECIDED_ACTIONS]
    if not effective:
        return None, None
    # The same outcome under the same rules is one decision, whatever pack version re-confirms it.
    signature = sorted(
        canonical_json(
            {
                **{k: v for k, v in a.items() if k not in ("rule", "superseded_by")},
                "rule": [a["rule"]["jurisdiction"], a["rule"]["rule_id"]],
            }
        )
        for a in effective
    )
    dedupe_key = hashlib.sha256("\n".join(signature).encode()).hexdigest()
    existing = session.scalar(select(Decision).where(Decision.item_id == item.id, Decision.dedupe_key == dedupe_key))
    if existing is not None:
        return existing, "unchanged"
    decisive = _decisive(effective, plan)
    jurisdiction, version, rule_id = _ref_parts(decisive["rule"])
    outcome = decisive["action"]
    geo = plan.get("geo_restricted_in") or []
    decision = Decision(
        item_id=item.id,
        case_id=case.id if case else None,
        evaluation_id=evaluation.id,
        automated=True,
        outcome=outcome,
        actions=plan["actions"],
        visibility=VISIBILITY_BY_OUTCOME[outcome],
        territorial_scope=sorted(geo) if outcome == "geo_restrict" else None,
        rule_jurisdiction=jurisdiction,
        rule_pack_version=version,
        rule_id=rule_id,
        statement_of_reasons=plan.get("statement_of_reasons"),
        dedupe_key=dedupe_key,
        decided_by=f"{ROUTE_ACTOR.type}:{ROUTE_ACTOR.id}",
        decided_at=utcnow(),
    )
    session.add(decision)
    session.flush()
    audit.record(
        session,
        ROUTE_ACTOR,
        "decision.automated",
        "decision",
        decision.id,
        item_id=item.id,
        outcome=outcome,
        visibility=decision.visibility,
        territorial_scope=decision.territorial_scope,
        rule=f"{jurisdiction}@{version}:{rule_id}",
        case_id=decision.case_id,
        evaluation_id=evaluation.id,
        actions=sorted({a["action"] for a in effective}),
    )
    notify_decision(session, item, decision)  # the platform's webhook, sent after the commit
    sample_decision(session, decision, rate=qa_sample_rate)
    if decision.visibility != "visible":  # the removal the law's preservation periods count from
        removal_holds = [h for h in plan.get("holds") or [] if h.get("starts") == "removal"]
        place_catalogue_holds(session, item, removal_holds, {"removal": decision.decided_at})
    return decision, "recorded"


def apply_evaluation(
    session: Session, item: Item, evaluation: PolicyEvaluation, *, qa_sample_rate: float
) -> RouteResult:
    """No commit: the route stage (or the re-evaluation job) commits with its audit events.
    An automated decision is sampled for QA at `qa_sample_rate` (Settings.qa_sample_rate)."""
    plan = evaluation.plan
    case, case_change = _route_case(session, item, evaluation, plan)
    decision, decision_change = _record_decision(session, item, evaluation, plan, case, qa_sample_rate)
    if decision_change == "recorded":  # a report to an authority waits for a person to make it
        request_reports_for_automated_decision(session, item, decision)
    return RouteResult(case, case_change, decision, decision_change)

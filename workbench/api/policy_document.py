"""The policy part of the item document: current evaluation, cases, decisions."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench.models import Case, Decision
from workbench.services.policy.evaluation import latest_evaluation


def _iso(value):
    return value.isoformat().replace("+00:00", "Z") if value else None


def policy_document(session: Session, item_id: int) -> dict:
    evaluation = latest_evaluation(session, item_id)
    cases = session.scalars(select(Case).where(Case.item_id == item_id).order_by(Case.id)).all()
    decisions = session.scalars(select(Decision).where(Decision.item_id == item_id).order_by(Decision.id)).all()
    return {
        "evaluation": None
        if evaluation is None
        else {
            "id": evaluation.id,
            "evaluated_at": _iso(evaluation.evaluated_at),
            "trigger": evaluation.trigger,
            "packs": [{"jurisdiction": p.jurisdiction, "version": p.pack_version} for p in evaluation.packs],
            "matched_rules": [
                {"jurisdiction": h.jurisdiction, "pack_version": h.pack_version, "rule_id": h.rule_id, "mode": h.mode}
                for h in evaluation.rule_hits
            ],
            # Why each jurisdiction's packs applied (audience, issuer, establishment); empty for
            # evaluations stored before the applicability model.
            "applied": evaluation.plan.get("applied", []),
            "visibility": evaluation.visibility,
            "geo_restricted_in": evaluation.plan.get("geo_restricted_in", []),
        },
        "cases": [
            {
                "id": case.id,
                "queue": case.queue,
                "priority": case.priority,
                "status": case.status,
                "due_at": _iso(case.due_at),
                "deadline_hours": (case.deadline or {}).get("hours"),
                "rule": {**case.rule_ref, "pack_version": case.rule_pack_version},
                "jurisdictions": case.jurisdictions,
                "created_at": _iso(case.created_at),
            }
            for case in cases
        ],
        "decisions": [
            {
                "id": d.id,
                "automated": d.automated,
                "outcome": d.outcome,
                "visibility": d.visibility,
                "territorial_scope": d.territorial_scope,
                "case_id": d.case_id,
                "rule": {**d.rule_ref, "pack_version": d.rule_pack_version},
                "statement_of_reasons": d.statement_of_reasons,
                "decided_by": d.decided_by,
                "decided_at": _iso(d.decided_at),
            }
            for d in decisions
        ],
    }

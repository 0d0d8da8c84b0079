"""The route stage: apply the item's current policy plan (cases, automated decisions)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from workbench.models import Item
from workbench.pipeline.stages import StageContext, register_stage
from workbench.services.policy.evaluation import latest_evaluation
from workbench.services.review.routing import apply_evaluation


class NotEvaluated(RuntimeError):
    """The route stage ran for an item the policy stage has not evaluated."""


def run_route_stage(session: Session, item: Item, ctx: StageContext) -> dict:
    evaluation = latest_evaluation(session, item.id)
    if evaluation is None:
        raise NotEvaluated(f"item {item.id} has no policy evaluation")
    routed = apply_evaluation(session, item, evaluation, qa_sample_rate=ctx.settings.qa_sample_rate)
    return {"evaluation_id": evaluation.id, **routed.summary()}


register_stage("route", run_route_stage)

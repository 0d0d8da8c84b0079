"""The policy stage: evaluate the item's stored facts against the packs in force."""

from __future__ import annotations

from sqlalchemy.orm import Session

from workbench.models import Item
from workbench.pipeline.stages import StageContext, register_stage
from workbench.services.policy.evaluation import evaluate_item, evaluation_summary


def run_policy_stage(
    session: Session, item: Item, ctx: StageContext | None = None, *, trigger: str = "pipeline"
) -> dict:
    evaluation, _ = evaluate_item(session, item, trigger=trigger)
    return evaluation_summary(evaluation)


register_stage("policy", run_policy_stage)

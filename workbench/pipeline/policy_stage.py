"""The policy stage: evaluate the item's stored facts against the packs in force."""

from __future__ import annotations

from sqlalchemy.orm import Session

from workbench.models import Item
from workbench.pipeline.stages import StageContext, register_stage
from workbench.services.policy.evaluation import evaluate_item, evaluation_summary


def run_policy_stage(session: Session, item: Item, ctx: StageContext, *, trigger: str = "pipeline") -> dict:
    establishments = ctx.settings.provider_jurisdictions
    evaluation, _ = evaluate_item(session, item, establishments=establishments, trigger=trigger)
    return evaluation_summary(evaluation)


register_stage("policy", run_policy_stage)

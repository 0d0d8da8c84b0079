"""Evaluating an item again when a report arrives after the pipeline has evaluated it.

Runs under the same item lock as the pipeline, so it serialises with it:
- policy stage not reached yet: nothing to do, the pipeline will read the report;
- evaluated, not yet routed: evaluate again; the route stage then applies the new plan;
- processed: evaluate again and route (the open case is tightened, never duplicated).
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from workbench import audit
from workbench.audit import Actor
from workbench.models import Item, ItemStatus
from workbench.models.item import STAGE_ORDER
from workbench.services.policy.evaluation import evaluate_item, evaluation_summary
from workbench.services.review.routing import apply_evaluation
from workbench.settings import Settings

REEVALUATION_ACTOR = Actor.system("policy-reevaluation")


def _policy_done(item: Item) -> bool:
    return item.stage in STAGE_ORDER and STAGE_ORDER.index(item.stage) >= STAGE_ORDER.index("policy")


def reevaluate_item(
    session: Session, item_id: int, *, settings: Settings, report_id: int | None = None, trigger: str = "report"
) -> str:
    """Returns what happened: missing | pending | skipped | evaluated | routed. `trigger` is
    "report", or "publish" when open items are brought under newly published packs."""
    item = session.scalar(select(Item).where(Item.id == item_id).with_for_update(of=Item))
    if item is None:
        session.rollback()
        return "missing"
    if item.status == ItemStatus.ERROR:
        session.rollback()  # the pipeline gave up on it; an operator reruns it, not a report
        return "skipped"
    processed = item.status == ItemStatus.PROCESSED
    if not processed and not _policy_done(item):
        session.rollback()
        return "pending"
    evaluation, created = evaluate_item(session, item, establishments=settings.provider_jurisdictions, trigger=trigger)
    payload = {"report_id": report_id, **evaluation_summary(evaluation)}
    outcome, changed = "evaluated", created
    if processed:
        routed = apply_evaluation(session, item, evaluation, qa_sample_rate=settings.qa_sample_rate)
        payload.update(routed.summary())
        outcome = "routed"
        changed = changed or routed.case_change in ("opened", "tightened") or routed.decision_change == "recorded"
    if changed:  # a second run of the same job changes nothing and logs nothing
        audit.record(session, REEVALUATION_ACTOR, "item.policy_reevaluated", "item", item.id, **payload)
    session.commit()
    return outcome

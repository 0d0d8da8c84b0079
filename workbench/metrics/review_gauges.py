"""Review-queue gauges: depth and oldest case per queue, cases past their deadline."""

from __future__ import annotations

from sqlalchemy import func, select

from workbench.metrics.gauges import Gauge, gauge_source
from workbench.models import Case, CaseStatus
from workbench.models.base import utcnow


@gauge_source
def review_queue_gauges(session, redis) -> list[Gauge]:
    now = utcnow()
    depth = Gauge("workbench_review_queue_open_cases", "Open cases per review queue.")
    oldest = Gauge("workbench_review_queue_oldest_seconds", "Age of the oldest open case per review queue.")
    late = Gauge("workbench_review_cases_past_deadline", "Open cases past their deadline, per review queue.")
    rows = session.execute(
        select(Case.queue, func.count(), func.min(Case.created_at))
        .where(Case.status == CaseStatus.OPEN)
        .group_by(Case.queue)
    ).all()
    overdue = dict(
        session.execute(
            select(Case.queue, func.count())
            .where(Case.status == CaseStatus.OPEN, Case.due_at < now)
            .group_by(Case.queue)
        ).all()
    )
    for queue, count, first in sorted(rows):
        label = f'queue="{queue}"'
        depth.samples.append((label, count))
        oldest.samples.append((label, (now - first).total_seconds() if first else 0))
        late.samples.append((label, overdue.get(queue, 0)))
    return [depth, oldest, late]

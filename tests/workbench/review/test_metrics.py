"""Review-queue gauges on /metrics."""

from __future__ import annotations

from tests.workbench.review.helpers import make_case
from tests.workbench.test_metrics import scrape


def test_review_queue_gauges(app, client):
    make_case(app, queue="hate_speech", due_in_h=-2)
    make_case(app, queue="hate_speech", due_in_h=5)
    make_case(app, queue="violence")
    samples = scrape(client)
    assert samples['workbench_review_queue_open_cases{queue="hate_speech"}'] == 2
    assert samples['workbench_review_queue_open_cases{queue="violence"}'] == 1
    assert samples['workbench_review_cases_past_deadline{queue="hate_speech"}'] == 1
    assert samples['workbench_review_cases_past_deadline{queue="violence"}'] == 0
    assert samples['workbench_review_queue_oldest_seconds{queue="violence"}'] >= 0

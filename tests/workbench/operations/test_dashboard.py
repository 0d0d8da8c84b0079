"""The operations dashboard: the sweeper stores metric samples, team leads see them charted."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import func, select

from tests.support.factories import text_item
from workbench import settings as workbench_settings
from workbench.extensions import db, get_redis
from workbench.metrics import inc, observe
from workbench.metrics.samples import sample_if_due, take_sample
from workbench.models import MetricSample
from workbench.models.base import utcnow


def sample_times(app) -> list:
    with app.app_context():
        times = sorted(set(db.session.scalars(select(MetricSample.taken_at))))
        db.session.rollback()
    return times


def test_the_sweeper_stores_samples_when_due_and_prunes_old_ones(app, api):
    api.post_json("/items", text_item("a"))
    runner = app.test_cli_runner()
    result = runner.invoke(args=["pipeline", "sweep"])
    assert result.exit_code == 0, result.output
    assert "metric sample row(s)" in result.output
    with app.app_context():
        names = set(db.session.scalars(select(MetricSample.name)))
        received = db.session.scalar(
            select(MetricSample.value).where(
                MetricSample.name == "workbench_items", MetricSample.labels == 'status="received"'
            )
        )
    assert {"workbench_items", "workbench_items_received_total", "workbench_rq_queue_length"} <= names
    assert received == 1
    assert len(sample_times(app)) == 1

    runner.invoke(args=["pipeline", "sweep"])  # within the interval: no second sample
    assert len(sample_times(app)) == 1

    with app.app_context():
        interval = workbench_settings.of(app).metric_sample_interval_s
        retention = timedelta(days=workbench_settings.of(app).metric_retention_days)
        first = sample_times(app)[0]
        db.session.add(MetricSample(taken_at=first - retention - timedelta(hours=1), name="old", labels="", value=1))
        db.session.commit()
        later = first + timedelta(seconds=interval + 1)
        assert sample_if_due(db.session, get_redis(), workbench_settings.of(app), now=later) > 0
        assert db.session.scalar(select(func.count()).where(MetricSample.name == "old")) == 0
    assert sample_times(app) == [first, later]


def test_team_leads_see_the_charts(app, api, auth, client):
    now = utcnow()
    api.post_json("/items", text_item("a"))
    with app.app_context():
        take_sample(db.session, get_redis(), now - timedelta(minutes=2))
        for seconds in (0.02, 0.04):
            observe("workbench_stage_seconds", seconds, stage="hash")
        observe("workbench_classifier_seconds", 0.5, classifier="langid")
        inc("workbench_job_failures_total", final="false")
        inc("workbench_webhook_failures_total")
        take_sample(db.session, get_redis(), now - timedelta(minutes=1))
    auth.login("senior_moderator")
    page = client.get("/operations")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert html.count('class="wb-chart wb-line-chart"') == 9
    for title in (
        "Open cases per review queue",
        "Cases past their deadline",
        "Pipeline stage latency",
        "Classifier latency",
        "Job failures and retries",
        "Webhook failures",
    ):
        assert title in html
    assert "hash: 1 points" in html and "max 0.03" in html  # the interval's mean stage latency
    assert "langid: 1 points" in html and "max 0.50" in html
    assert "failed, retried" in html and "gave up" in html
    assert "2 sample(s)" in html
    assert client.get("/operations?hours=1").status_code == 200
    assert client.get("/operations?hours=bogus").status_code == 200  # falls back to 24 h


def test_the_dashboard_needs_the_permission(app, auth, client):
    assert client.get("/operations").status_code in (302, 401)
    auth.login("moderator")
    assert client.get("/operations").status_code == 403

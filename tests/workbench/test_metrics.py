"""/metrics: Prometheus text format, counters shared through Redis, gauges from the database."""

from __future__ import annotations

import re

from tests.support.factories import image_bytes, text_item
from tests.support.receiver import Receiver
from workbench import settings as workbench_settings
from workbench.metrics import observe

SAMPLE = re.compile(r'^[a-zA-Z_:][a-zA-Z0-9_:]*(\{([a-zA-Z_][a-zA-Z0-9_]*="[^"]*",?)*\})? -?[0-9.e+-]+(Inf)?$')


def scrape(client, **headers) -> dict[str, float]:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200, response.status_code
    assert response.mimetype == "text/plain"
    samples = {}
    for line in response.get_data(as_text=True).splitlines():
        if line.startswith("#"):
            assert line.startswith(("# HELP ", "# TYPE "))
            continue
        assert SAMPLE.match(line), line
        name, value = line.rsplit(" ", 1)
        samples[name] = float(value)
    return samples


def test_counters_and_gauges(app, api, client, run_worker):
    api.post_json("/items", text_item("a"))
    api.post_json("/items", text_item("b"))
    api.post_image(image_bytes(), external_id="c", author_id="u", country="DE")
    before = scrape(client)
    assert before['workbench_items_received_total{kind="text"}'] == 2
    assert before['workbench_items_received_total{kind="image"}'] == 1
    assert before['workbench_items{status="received"}'] == 3
    assert before['workbench_rq_queue_length{queue="pipeline"}'] == 3
    assert before["workbench_pipeline_oldest_active_seconds"] >= 0
    run_worker()
    after = scrape(client)
    assert after['workbench_items{status="processed"}'] == 3
    assert after["workbench_pipeline_oldest_active_seconds"] == 0


def test_histograms(app, client):
    with app.app_context():
        for seconds in (0.003, 0.2, 7):
            observe("workbench_stage_seconds", seconds, stage="hash")
    samples = scrape(client)
    assert samples['workbench_stage_seconds_bucket{stage="hash",le="0.005"}'] == 1
    assert samples['workbench_stage_seconds_bucket{stage="hash",le="0.25"}'] == 2
    assert samples['workbench_stage_seconds_bucket{stage="hash",le="+Inf"}'] == 3
    assert samples['workbench_stage_seconds_count{stage="hash"}'] == 3
    assert abs(samples['workbench_stage_seconds_sum{stage="hash"}'] - 7.203) < 1e-6


def test_webhook_failures_are_counted(app, api, client):
    from tests.workbench.webhooks.test_webhooks import FAST, deliver, queue_events, register

    item_id = api.post_json("/items", text_item()).json["id"]
    with Receiver() as receiver:
        register(api, receiver.url)
        receiver.script = ["500"] * 3
        queue_events(app, item_id, "decision:1")
        deliver(app, item_id, FAST)
    samples = scrape(client)
    assert samples['workbench_webhook_attempts_total{outcome="error"}'] == 3
    assert samples["workbench_webhook_failures_total"] == 1
    assert samples['workbench_webhook_deliveries{status="failed"}'] == 1


def test_access_control(app, client):
    assert client.get("/metrics", environ_base={"REMOTE_ADDR": "10.1.2.3"}).status_code == 403
    workbench_settings.update(app, WORKBENCH_METRICS_TOKEN="s3cret-token")
    assert client.get("/metrics").status_code == 403
    assert scrape(client, Authorization="Bearer s3cret-token")

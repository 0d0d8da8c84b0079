"""`flask classify-worker`: loads the models once at start and says which text model is
active and why; fails loudly (exit 78) when a classifier cannot load; shows in /healthz."""

from __future__ import annotations

import pytest

from tests.support.factories import text_item
from workbench.pipeline.batch_queue import batch_queue_for
from workbench.pipeline.classify_worker import EXIT_MODELS_DID_NOT_LOAD

pytestmark = pytest.mark.parametrize("backend", ["sqlite"])  # about the process, not the database


def test_the_worker_names_the_text_model_and_every_loaded_model(app, api):
    item_id = api.post_json("/items", text_item(text="Hello there")).json["id"]
    from workbench.jobs.worker import run_worker

    with app.app_context():
        run_worker(burst=True, with_scheduler=False)
    result = app.test_cli_runner().invoke(args=["classify-worker", "--burst", "--name", "cli-test"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("text model: profanity_check (no Detoxify weights configured")
    assert any(line.startswith("classifier nudenet ") and " sha256 " in line for line in lines)
    assert any(line.startswith("classifier langid ") for line in lines)
    assert "classify worker cli-test stopped after 1 batch(es)" in result.output
    assert api.get(f"/items/{item_id}").json["stage"] == "classify"  # later stages are queued


@pytest.mark.parametrize("classify_settings", [{"WORKBENCH_DETOXIFY_CHECKPOINT": "/nonexistent/detoxify.ckpt"}])
def test_a_model_that_cannot_load_stops_the_worker_at_start(app):
    result = app.test_cli_runner().invoke(args=["classify-worker", "--burst"])
    assert result.exit_code == EXIT_MODELS_DID_NOT_LOAD
    # It says which model was chosen and why, then what failed.
    assert "text model: detoxify (WORKBENCH_DETOXIFY_CHECKPOINT is set" in result.output
    assert (
        "classify worker cannot start: a classifier cannot load: Detoxify checkpoint not found: "
        "/nonexistent/detoxify.ckpt" in result.output
    )
    with app.app_context():
        assert batch_queue_for("classify").live_workers() == {}  # it never registered


@pytest.mark.parametrize("classifier_names", ["text,nudenett"])
def test_a_typo_in_the_classifier_list_stops_the_worker_at_start(app):
    result = app.test_cli_runner().invoke(args=["classify-worker", "--burst"])
    assert result.exit_code == EXIT_MODELS_DID_NOT_LOAD
    assert "unknown classifier 'nudenett'; registered: " in result.output


@pytest.mark.parametrize("classifier_names", [""])
def test_with_no_classifier_configured_there_is_nothing_to_run(app):
    result = app.test_cli_runner().invoke(args=["classify-worker", "--burst"])
    assert result.exit_code == EXIT_MODELS_DID_NOT_LOAD
    assert "WORKBENCH_CLASSIFIERS is empty" in result.output


def test_healthz_needs_a_live_classify_worker(app, client):
    from rq import SimpleWorker

    from workbench.extensions import get_queue, get_redis

    with app.app_context():
        rq_worker = SimpleWorker([get_queue()], connection=get_redis())
        rq_worker.register_birth()
    try:
        body = client.get("/healthz")
        assert body.status_code == 503
        assert body.json["classify"]["ok"] is False and body.json["classify"]["count"] == 0
        with app.app_context():
            batch_queue_for("classify").register_worker(
                "classify-1",
                {
                    "text_model": "text model: profanity_check (reason)",
                    "classifiers": [{"classifier": "profanity_check"}],
                },
                ttl_s=30,
            )
        body = client.get("/healthz")
        assert body.status_code == 200, body.json
        assert body.json["classify"]["workers"] == [
            {
                "name": "classify-1",
                "text_model": "text model: profanity_check (reason)",
                "classifiers": ["profanity_check"],
            }
        ]
    finally:
        with app.app_context():
            rq_worker.register_death()

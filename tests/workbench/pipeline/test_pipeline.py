"""The durable pipeline: stages, idempotency, retries, final statuses, the sweeper."""

from __future__ import annotations

import hashlib

import pytest
from rq import Queue
from sqlalchemy import func, select

from classifiers.hashing.crypto import normalise_text
from tests.support.factories import image_bytes, text_item
from workbench import settings as workbench_settings
from workbench.extensions import db, get_redis
from workbench.models import AuditEvent, Item, ItemHash
from workbench.pipeline import stages as stage_registry
from workbench.pipeline.runner import run_pipeline
from workbench.pipeline.stages import stage_context
from workbench.queues import job_id_for


def item_state(app, item_id):
    with app.app_context():
        item = db.session.get(Item, item_id)
        return item.status, item.stage, item.attempts, item.error


def hashes_of(app, item_id) -> dict[str, str]:
    with app.app_context():
        rows = db.session.scalars(select(ItemHash).where(ItemHash.item_id == item_id)).all()
        return {row.algorithm: row.value for row in rows}


def audit_actions(app, item_id) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "item", AuditEvent.object_id == str(item_id))
                .order_by(AuditEvent.id)
            )
        )


def test_text_item_runs_through_the_registered_stages(app, api, run_worker):
    item_id = api.post_json("/items", text_item(text="  Hello   WORLD ")).json["id"]
    run_worker()
    assert item_state(app, item_id)[:2] == ("processed", "route")  # hash, then policy and route
    expected = hashlib.sha256(normalise_text("hello world").encode()).hexdigest()
    assert hashes_of(app, item_id)["text_sha256"] == expected
    assert audit_actions(app, item_id) == ["item.created"] + ["item.stage_completed"] * 3 + ["item.processed"]
    document = api.get(f"/items/{item_id}").json
    assert document["status"] == "processed" and document["finished_at"]
    assert {h["algorithm"] for h in document["hashes"]} == {"text_sha256", "text_md5"}


def test_image_item_gets_exact_file_hashes(app, api, run_worker):
    data = image_bytes("JPEG")
    item_id = api.post_image(data, external_id="i", author_id="u", country="DE").json["id"]
    run_worker()
    assert item_state(app, item_id)[0] == "processed"
    hashes = hashes_of(app, item_id)
    assert hashes["sha256"] == hashlib.sha256(data).hexdigest()
    assert hashes["md5"] == hashlib.md5(data).hexdigest()


def test_normalised_text_hash_ignores_case_width_and_spacing(app, api, run_worker):
    a = api.post_json("/items", text_item("a", text="Buy   CHEAP likes")).json["id"]
    b = api.post_json("/items", text_item("b", text="ｂｕｙ cheap\nLIKES")).json["id"]
    c = api.post_json("/items", text_item("c", text="buy cheap likes!")).json["id"]
    run_worker()
    assert hashes_of(app, a)["text_sha256"] == hashes_of(app, b)["text_sha256"]
    assert hashes_of(app, a)["text_sha256"] != hashes_of(app, c)["text_sha256"]


def test_running_the_pipeline_twice_leaves_the_same_rows(app, api, run_worker):
    item_id = api.post_json("/items", text_item()).json["id"]
    run_worker()
    before = (hashes_of(app, item_id), audit_actions(app, item_id))
    with app.app_context():
        assert run_pipeline(db.session, item_id, stage_context(app, workbench_settings.of(app))) == "processed"
        # A stage rerun from scratch (as after a crash before its commit) upserts, never duplicates.
        item = db.session.get(Item, item_id)
        stage_registry.registered_stages()[0].run(db.session, item, stage_context(app, workbench_settings.of(app)))
        db.session.commit()
        assert db.session.scalar(select(func.count()).select_from(ItemHash).where(ItemHash.item_id == item_id)) == 2
    assert (hashes_of(app, item_id), audit_actions(app, item_id)) == before


def test_duplicate_jobs_process_the_item_once(app, api, run_worker):
    item_id = api.post_json("/items", text_item()).json["id"]
    with app.app_context():
        from workbench.queues import enqueue_item

        enqueue_item(item_id)
        enqueue_item(item_id)
    run_worker()
    assert audit_actions(app, item_id).count("item.processed") == 1
    assert audit_actions(app, item_id).count("item.stage_completed") == 3  # hash, policy, route once each


@pytest.fixture
def failing_stage():
    """Register a real extra stage that fails, in the slot the classify stage will use."""
    calls = {"n": 0, "fail_times": 99}

    def flaky(session, item, ctx):
        calls["n"] += 1
        if calls["n"] <= calls["fail_times"]:
            raise RuntimeError(f"model exploded (call {calls['n']})")
        return {"ok": True}

    replaced = stage_registry.register_stage("classify", flaky)
    yield calls
    stage_registry.restore_stage("classify", replaced)  # the real (batched) classify stage


def test_failures_retry_then_end_in_error_with_the_reason(app, api, run_worker, failing_stage):
    item_id = api.post_json("/items", text_item()).json["id"]
    run_worker()
    retries = workbench_settings.of(app).job_retries
    status, stage, attempts, error = item_state(app, item_id)
    assert status == "error"
    assert stage == "hash"  # the stage before the failing one committed and stays done
    assert attempts == retries + 1 == failing_stage["n"]
    assert "model exploded" in error
    document = api.get(f"/items/{item_id}").json
    assert document["status"] == "error" and "RuntimeError" in document["error"]
    actions = audit_actions(app, item_id)
    assert actions.count("item.attempt_failed") == retries and actions[-1] == "item.failed"


def test_a_transient_failure_recovers_on_retry(app, api, run_worker, failing_stage):
    failing_stage["fail_times"] = 2
    item_id = api.post_json("/items", text_item()).json["id"]
    run_worker()
    status, stage, attempts, error = item_state(app, item_id)
    assert (status, stage, attempts) == ("processed", "route", 2)
    assert error is None
    assert audit_actions(app, item_id).count("item.stage_completed") == 4  # hash, classify, policy, route once


def test_the_sweeper_finds_an_item_whose_job_was_dropped(app, api, run_worker):
    from workbench.pipeline.sweeper import sweep, sweep_settings

    item_id = api.post_json("/items", text_item()).json["id"]
    with app.app_context():
        redis = get_redis()
        queue = Queue(workbench_settings.of(app).pipeline_queue, connection=redis)
        assert queue.count == 1
        redis.flushdb()  # Redis lost everything: the job is gone
        assert queue.count == 0
    run_worker()
    assert item_state(app, item_id)[0] == "received"  # nothing ran it
    with app.app_context():
        settings = sweep_settings(workbench_settings.current(), lost_after_s=0, stuck_after_s=3600)
        assert sweep(db.session, settings) == [item_id]
        assert sweep(db.session, settings) == []  # its job is queued now: not swept twice
    run_worker()
    assert item_state(app, item_id)[0] == "processed"
    actions = audit_actions(app, item_id)
    assert actions.count("item.requeued") == 1 and actions.count("item.processed") == 1


def test_the_sweeper_leaves_recent_and_final_items_alone(app, api, run_worker):
    from workbench.pipeline.sweeper import sweep, sweep_settings

    done = api.post_json("/items", text_item("done")).json["id"]
    run_worker()
    fresh = api.post_json("/items", text_item("fresh")).json["id"]
    with app.app_context():
        get_redis().flushdb()
        assert (
            sweep(db.session, sweep_settings(workbench_settings.current(), lost_after_s=600, stuck_after_s=600)) == []
        )
        assert sweep(db.session, sweep_settings(workbench_settings.current(), lost_after_s=0, stuck_after_s=600)) == [
            fresh
        ]
    assert item_state(app, done)[0] == "processed"


def test_the_sweeper_requeues_a_job_stuck_as_started(app, api, run_worker):
    """A worker killed mid-job leaves its job 'started' forever; the item is retaken after stuck_after."""
    from rq.job import Job, JobStatus

    from workbench.pipeline.sweeper import sweep, sweep_settings

    item_id = api.post_json("/items", text_item()).json["id"]
    with app.app_context():
        job = Job.fetch(job_id_for(item_id), connection=get_redis())
        job.set_status(JobStatus.STARTED)
        get_redis().delete(f"rq:queue:{workbench_settings.of(app).pipeline_queue}")  # as if dequeued
        assert sweep(db.session, sweep_settings(workbench_settings.current(), lost_after_s=0, stuck_after_s=3600)) == []
        assert sweep(db.session, sweep_settings(workbench_settings.current(), lost_after_s=0, stuck_after_s=0)) == [
            item_id
        ]
    run_worker()
    assert item_state(app, item_id)[0] == "processed"


def test_enqueue_failure_keeps_the_item_for_the_sweeper(app, api, run_worker, monkeypatch):
    from redis.exceptions import ConnectionError as RedisConnectionError

    from workbench.pipeline.sweeper import sweep, sweep_settings

    def redis_down(*args, **kwargs):
        raise RedisConnectionError("Redis is down")

    monkeypatch.setattr(Queue, "enqueue", redis_down)
    response = api.post_json("/items", text_item())
    assert response.status_code == 201  # durable in the database regardless
    monkeypatch.undo()
    item_id = response.json["id"]
    with app.app_context():
        assert sweep(db.session, sweep_settings(workbench_settings.current(), lost_after_s=0, stuck_after_s=3600)) == [
            item_id
        ]
    run_worker()
    assert item_state(app, item_id)[0] == "processed"

"""The classify batch queue and the sweeper: items legitimately waiting are left alone;
items whose batch entry was lost (Redis flushed, a batch worker killed after taking them,
an entry gone missing) are found and finish exactly once."""

from __future__ import annotations

from rq import Queue
from sqlalchemy import select

from tests.support.factories import text_item
from workbench import settings as workbench_settings
from workbench.extensions import db, get_redis
from workbench.jobs.worker import run_worker as run_rq_worker
from workbench.models import AuditEvent, Item
from workbench.pipeline.batch_queue import batch_queue_for
from workbench.pipeline.sweeper import sweep, sweep_settings


def eager():
    """Anything idle is a candidate (in an app context)."""
    return sweep_settings(workbench_settings.current(), lost_after_s=0, stuck_after_s=3600)


def handed_off_item(app, api, external_id="post-1") -> int:
    """An item whose hash stage ran and whose job handed it to the classify queue."""
    item_id = api.post_json("/items", text_item(external_id, text="Good morning, Berlin!")).json["id"]
    with app.app_context():
        run_rq_worker(burst=True, with_scheduler=False)
        item = db.session.get(Item, item_id)
        assert (item.status, item.stage) == ("processing", "hash")
        db.session.rollback()
    return item_id


def item_status(app, item_id) -> str:
    with app.app_context():
        return db.session.get(Item, item_id).status


def requeue_events(app, item_id) -> int:
    with app.app_context():
        return len(
            db.session.scalars(
                select(AuditEvent.id).where(AuditEvent.action == "item.requeued", AuditEvent.object_id == str(item_id))
            ).all()
        )


def test_the_sweeper_leaves_items_waiting_in_the_batch_queue_alone(app, api, run_worker):
    item_id = handed_off_item(app, api)
    with app.app_context():
        assert sweep(db.session, eager()) == []
        assert Queue(workbench_settings.of(app).pipeline_queue, connection=get_redis()).count == 0
        assert batch_queue_for("classify").counts() == {"queued": 1, "delayed": 0, "pending": 1}
    run_worker()
    assert item_status(app, item_id) == "processed"
    assert requeue_events(app, item_id) == 0


def test_an_item_lost_with_a_flushed_redis_is_handed_off_again(app, api, run_worker):
    item_id = handed_off_item(app, api)
    with app.app_context():
        get_redis().flushdb()  # the batch queue and the pending set are gone
        assert sweep(db.session, eager()) == [item_id]
        assert sweep(db.session, eager()) == []  # its job is queued now
    run_worker()
    assert item_status(app, item_id) == "processed"
    assert requeue_events(app, item_id) == 1


def test_items_taken_by_a_batch_worker_that_died_are_recovered(app, api, run_worker):
    first = handed_off_item(app, api, "a")
    second = handed_off_item(app, api, "b")
    with app.app_context():
        queue = batch_queue_for("classify")
        # A worker registers, takes both ids, and is killed before storing anything.
        queue.register_worker("doomed", {"stage": "classify"}, ttl_s=30)
        assert queue.claim("doomed", 10) == [first, second]
        assert queue.counts()["queued"] == 0
        assert sweep(db.session, eager()) == []  # alive: its claim is respected
        assert get_redis().llen(queue.claimed_key("doomed")) == 2
        get_redis().delete(queue.heartbeat_key("doomed"))  # its heartbeat expires
        assert sweep(db.session, eager()) == []  # recovered into the batch queue, not re-run via RQ
        assert queue.counts()["queued"] == 2 and "doomed" not in queue.live_workers()
    run_worker()
    assert item_status(app, first) == item_status(app, second) == "processed"
    assert requeue_events(app, first) == 0


def test_a_pending_entry_missing_from_every_list_is_recovered_once_it_is_old(app, api, run_worker):
    item_id = handed_off_item(app, api)
    with app.app_context():
        queue = batch_queue_for("classify")
        get_redis().delete(queue.queue_key)  # e.g. Redis restarted from an older snapshot
        assert sweep(db.session, eager()) == []  # recently handed off: trusted for stuck_after_s
        assert sweep(db.session, sweep_settings(workbench_settings.current(), lost_after_s=0, stuck_after_s=0)) == [
            item_id
        ]
    run_worker()
    assert item_status(app, item_id) == "processed"


def test_a_crash_between_storing_and_handing_on_is_recovered_by_the_sweeper(app, api, run_worker):
    from tests.support.classify import classify_worker

    item_id = handed_off_item(app, api)
    worker = classify_worker(app)
    with app.app_context():
        report = worker.process_batch(worker.queue.claim(worker.name, 10))
        assert report.completed == [item_id]
        Queue(workbench_settings.of(app).pipeline_queue, connection=get_redis()).empty()  # the hand-on is lost
        item = db.session.get(Item, item_id)
        assert (item.status, item.stage) == ("processing", "classify")
        db.session.rollback()
        assert sweep(db.session, eager()) == [item_id]
    run_worker()
    assert item_status(app, item_id) == "processed"


def test_a_batch_is_handed_on_as_one_job_that_the_sweeper_sees(app, api, run_worker):
    from tests.support.classify import classify_worker
    from workbench.queues import CONTINUATIONS, job_status

    ids = [handed_off_item(app, api, f"item-{i}") for i in range(3)]
    assert classify_worker(app).work(burst=True) == 1
    with app.app_context():
        assert Queue(workbench_settings.of(app).pipeline_queue, connection=get_redis()).count == 1
        assert {job_status(item_id) for item_id in ids} == {"queued"}  # the batch job carries them
        assert sweep(db.session, eager()) == []
    run_worker()
    assert {item_status(app, item_id) for item_id in ids} == {"processed"}
    with app.app_context():
        assert get_redis().hlen(CONTINUATIONS) == 0


def test_one_item_failing_a_later_stage_of_a_handed_on_batch(app, api, run_worker):
    from tests.support.classify import classify_worker
    from workbench.pipeline import stages

    policy = stages.get_stage("policy")

    def picky_policy(session, item, ctx):
        if item.external_id == "item-1":
            raise RuntimeError("policy engine exploded")
        return policy.run(session, item, ctx)

    ids = [handed_off_item(app, api, f"item-{i}") for i in range(3)]
    replaced = stages.register_stage("policy", picky_policy)
    try:
        assert classify_worker(app).work(burst=True) == 1
        run_worker()
    finally:
        stages.restore_stage("policy", replaced)
    with app.app_context():
        items = {item.id: item for item in db.session.scalars(select(Item).where(Item.id.in_(ids)))}
        assert [items[i].status for i in ids] == ["processed", "error", "processed"]
        failed = items[ids[1]]
        assert (
            failed.attempts == workbench_settings.of(app).job_retries + 1 and "policy engine exploded" in failed.error
        )
        assert failed.stage == "classify"  # what it finished stays finished
        from workbench.queues import CONTINUATIONS

        assert get_redis().hlen(CONTINUATIONS) == 0

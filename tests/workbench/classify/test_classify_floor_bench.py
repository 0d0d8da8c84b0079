"""bench/classify_floor.py measures the least a classify stage that stores its results can
cost. Its figure is only worth citing if it does the stage's real writes: every item gets
its signal row and moves on, the audit events it seals verify as a chain, and the next
stages are queued for every item."""

from __future__ import annotations

from sqlalchemy import func, select

from bench.classifiers import Bench, texts
from bench.classify_floor import FloorStage


def test_the_floor_stores_what_the_stage_stores(tmp_path, redis_server):
    from workbench.audit.checkpoints import iter_event_dicts
    from workbench.audit.verifier import verify
    from workbench.extensions import db, get_queue, get_redis
    from workbench.models import AuditEvent, Item, ItemSignal

    bench = Bench(tmp_path, redis_server.url)
    with bench.app.app_context():
        get_redis().flushdb()
    stage = FloorStage(bench)
    inputs = texts(10, seed=5) + ["you stupid idiot, I hate you", "thank you, lovely video"]
    item_ids = bench.seed("text", inputs)

    try:
        model_s, stage_s, batches = stage.run(batch_size=4)
    finally:
        stage.connection.close()

    assert batches == 3 and model_s > 0 and stage_s > 0
    with bench.app.app_context():
        signals = {row.item_id: row for row in db.session.scalars(select(ItemSignal))}
        assert sorted(signals) == item_ids
        assert {row.classifier for row in signals.values()} == {stage.model.name}
        assert {row.model_checksum for row in signals.values()} == {stage.identity["model_checksum"]}
        insult, thanks = signals[item_ids[-2]].score, signals[item_ids[-1]].score
        assert insult > 0.5 > thanks  # the model's real scores, stored against the right items
        stages = db.session.execute(select(Item.stage, func.count()).group_by(Item.stage)).all()
        assert stages == [("classify", len(item_ids))]
        events = db.session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
        assert [event.object_id for event in events if event.action == "item.stage_completed"] == [
            str(item_id) for item_id in item_ids
        ]
        verification = verify(iter_event_dicts(db.session), [], None)
        assert verification.ok, verification.problems
        assert verification.events == len(events)
        queued = get_queue().count
    assert queued == batches  # one hand-off job per batch

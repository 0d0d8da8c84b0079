"""One item failing in a classifier: retried, then `error` with the reason, while the rest of
its batch finishes. A real small classifier registered in the registry does the failing."""

from __future__ import annotations

from collections.abc import Sequence

import pytest
from sqlalchemy import select

from classifiers import registry
from classifiers.base import ClassifierInput, Signal, classify_supported_items
from tests.support.factories import text_item
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import AuditEvent, ItemSignal
from workbench.pipeline.batch_queue import batch_queue_for

TRIGGER = "TRIPWIRE"


class TripwireClassifier:
    """Scores text length; raises for texts containing TRIPWIRE (in the first `failures`
    batches that contain one, or always), or gives a non-retryable error signal for texts
    containing UNREADABLE."""

    name = "tripwire"
    version = "1.0"
    media_types = frozenset({"text"})
    labels = ("length",)
    failures = None  # None: always
    attempts = 0  # batches that contained a TRIPWIRE text

    def __init__(self):
        self.model_checksum = None

    def load(self) -> None:
        self.model_checksum = "0" * 64

    def _score(self, items: Sequence[ClassifierInput]) -> list[list[Signal]]:
        results = []
        for item in items:
            if TRIGGER in (item.text or ""):
                if TripwireClassifier.failures is None or TripwireClassifier.attempts <= TripwireClassifier.failures:
                    raise RuntimeError(f"tripped on item {item.item_id}")
            if "UNREADABLE" in (item.text or ""):
                results.append([Signal.failure("cannot read this, ever", retryable=False)])
                continue
            results.append([Signal("length", min(1.0, len(item.text or "") / 100))])
        return results

    def classify_batch(self, items):
        if any(TRIGGER in (item.text or "") for item in items):
            TripwireClassifier.attempts += 1
        return classify_supported_items(items, self.media_types, self._score, classifier_name=self.name)


@pytest.fixture
def classifier_names():
    registry.register("tripwire", lambda settings: TripwireClassifier(), replace=True)
    TripwireClassifier.failures, TripwireClassifier.attempts = None, 0
    yield "profanity_check,tripwire"
    registry.unregister("tripwire")


def actions(app, item_id) -> list[str]:
    with app.app_context():
        return list(
            db.session.scalars(
                select(AuditEvent.action)
                .where(AuditEvent.object_type == "item", AuditEvent.object_id == str(item_id))
                .order_by(AuditEvent.id)
            )
        )


def signals(app, item_id) -> dict[tuple[str, str], ItemSignal]:
    with app.app_context():
        rows = db.session.scalars(select(ItemSignal).where(ItemSignal.item_id == item_id)).all()
        db.session.expunge_all()
        return {(row.classifier, row.label): row for row in rows}


def test_one_failing_item_is_retried_then_errors_while_the_batch_finishes(app, api, run_worker):
    good = [api.post_json("/items", text_item(f"ok-{i}", text=f"an ordinary post {i}")).json["id"] for i in range(3)]
    bad = api.post_json("/items", text_item("bad", text=f"this one trips the {TRIGGER}")).json["id"]
    run_worker()
    retries = workbench_settings.of(app).job_retries

    for item_id in good:
        document = api.get(f"/items/{item_id}").json
        assert (document["status"], document["attempts"], document["error"]) == ("processed", 0, None)
        assert document["signals"]["tripwire"]["scores"]["length"] > 0
    document = api.get(f"/items/{bad}").json
    assert document["status"] == "error" and document["stage"] == "hash"
    assert document["attempts"] == retries + 1 == TripwireClassifier.attempts
    assert document["error"].startswith("classify failed: tripwire: RuntimeError: tripped on item")
    # The error signal is stored and shown, next to the scores the other model did give.
    assert document["signals"]["tripwire"]["error"].startswith("RuntimeError: tripped")
    assert document["signals"]["tripwire"]["scores"] == {}
    assert "profanity" in document["signals"]["profanity_check"]["scores"]
    history = actions(app, bad)
    assert history.count("item.attempt_failed") == retries and history[-1] == "item.failed"
    with app.app_context():  # nothing left behind in Redis
        assert batch_queue_for("classify").counts() == {"queued": 0, "delayed": 0, "pending": 0}


def test_a_transient_failure_recovers_and_its_error_signal_is_replaced(app, api, run_worker):
    TripwireClassifier.failures = 2
    item_id = api.post_json("/items", text_item(text=f"flaky {TRIGGER}")).json["id"]
    run_worker()
    document = api.get(f"/items/{item_id}").json
    assert (document["status"], document["attempts"], document["error"]) == ("processed", 2, None)
    assert set(signals(app, item_id)) == {("tripwire", "length"), ("profanity_check", "profanity")}
    assert actions(app, item_id).count("item.attempt_failed") == 2


def test_an_error_that_cannot_go_away_is_not_retried(app, api, run_worker):
    item_id = api.post_json("/items", text_item(text="UNREADABLE bytes")).json["id"]
    run_worker()
    document = api.get(f"/items/{item_id}").json
    assert (document["status"], document["attempts"]) == ("error", 1)
    assert "cannot read this, ever" in document["error"]
    assert actions(app, item_id)[-1] == "item.failed"


@pytest.mark.parametrize("backend", ["sqlite"])
def test_a_retry_waits_for_its_interval_in_the_delayed_set(app, api, run_worker):
    from workbench.pipeline.sweeper import sweep, sweep_settings

    workbench_settings.update(app, WORKBENCH_RETRY_INTERVALS=[3600])
    item_id = api.post_json("/items", text_item(text=f"slow {TRIGGER}")).json["id"]
    run_worker()
    assert api.get(f"/items/{item_id}").json["attempts"] == 1
    with app.app_context():
        queue = batch_queue_for("classify")
        assert queue.counts() == {"queued": 0, "delayed": 1, "pending": 1}
        assert 3590 < queue.next_due_in() <= 3600
        # Waiting for its retry is not lost: the sweeper leaves it alone, even when verifying.
        assert sweep(db.session, sweep_settings(workbench_settings.current(), lost_after_s=0, stuck_after_s=0)) == []
        queue.redis.zadd(queue.delayed_key, {str(item_id): 0})  # due now
    run_worker()
    assert api.get(f"/items/{item_id}").json["attempts"] == 2


@pytest.mark.parametrize("backend", ["sqlite"])  # drops a table: only on the per-test SQLite copy
@pytest.mark.parametrize("classifier_names", ["profanity_check"])
def test_results_that_cannot_be_stored_are_retried_then_error_and_nothing_is_lost(app, api, run_worker):
    from sqlalchemy import text

    ids = [api.post_json("/items", text_item(f"p{i}", text=f"post {i}")).json["id"] for i in range(3)]
    with app.app_context():  # a broken schema (say, a migration not applied): every store fails
        db.session.execute(text("DROP TABLE item_signals"))
        db.session.commit()
    run_worker()
    retries = workbench_settings.of(app).job_retries
    for item_id in ids:
        with app.app_context():
            history = actions(app, item_id)
        assert history.count("item.attempt_failed") == retries and history[-1] == "item.failed"
    with app.app_context():
        errors = db.session.execute(text("SELECT status, attempts, error FROM items")).all()
        assert batch_queue_for("classify").counts() == {"queued": 0, "delayed": 0, "pending": 0}
    assert {(status, attempts) for status, attempts, _ in errors} == {("error", retries + 1)}
    assert all(error == "classify failed: could not store the result" for _, _, error in errors)

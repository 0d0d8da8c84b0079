"""Faults: a worker SIGKILLed in the middle of each pipeline stage.

Real processes against the real Redis and database: a pipeline worker (`flask worker`) and
the classify batch worker (`flask classify-worker`) run with the test-only pause hook
(workbench/faults.py) set to one stage and one moment: before the stage's transaction
commits, or after it committed and before the job finished. When the hook reports the
pause, the test SIGKILLs that process, runs the sweeper, starts fresh workers, and checks
that every item reached its final state exactly once: one row per signal, match,
evaluation, case, decision and webhook outbox entry, one audit event per stage transition,
and an audit chain that still verifies.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import create_engine, func, select

from tests.support.api import ApiHelper
from tests.support.factories import image_bytes, make_api_key, text_item
from tests.support.policies import known_image
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.faults import AT_VARIABLE, DIR_VARIABLE, MOMENTS, STAGE_VARIABLE, marker_name, pause_point
from workbench.models import (
    AuditEvent,
    Case,
    Decision,
    HashMatch,
    Item,
    ItemHash,
    ItemSignal,
    ItemStatus,
    PolicyEvaluation,
    WebhookDelivery,
)

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
CLASSIFIERS = "text,langid"  # the offline models: real signals, loaded in a few seconds
STAGES = ("hash", "classify", "policy", "route")
TIMEOUT_S = 120


@pytest.fixture
def app(backend, request, tmp_path, redis_server):
    from tests.support.apps import make_test_app

    with make_test_app(
        backend, tmp_path, redis_server, request, WORKBENCH_CLASSIFIERS=CLASSIFIERS, WORKBENCH_CLASSIFY_WORKER_TTL_S=3
    ) as test_app:
        yield test_app


class Processes:
    """Worker subprocesses sharing the test app's database, Redis and blob store."""

    def __init__(self, app, tmp_path):
        self.tmp_path = tmp_path
        self.env = {
            k: v
            for k, v in os.environ.items()
            if k not in ("DATABASE_URL", "REDIS_URL") and not k.startswith("WORKBENCH_")
        }
        self.env.update(
            {
                "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"],
                "REDIS_URL": app.config["REDIS_URL"],
                "WORKBENCH_INSTANCE_PATH": app.instance_path,
                "WORKBENCH_BLOB_DIR": workbench_settings.of(app).blob_dir,
                "SECRET_KEY": "test-secret-key",
                "WORKBENCH_PSEUDONYM_KEY": "test-pseudonym-key",
                "WORKBENCH_CLASSIFIERS": CLASSIFIERS,
                "WORKBENCH_CLASSIFY_WORKER_TTL_S": "3",
                "WORKBENCH_CLASSIFY_BATCH_WAIT_MS": "300",
                "WORKBENCH_RETRY_INTERVALS": "1",
            }
        )
        self.running: list[tuple[subprocess.Popen, str]] = []

    def start(self, name: str, *args: str, **extra_env: str) -> subprocess.Popen:
        log_path = str(self.tmp_path / f"{name}.log")
        with open(log_path, "w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "flask", "--app", "wsgi", *args, "--name", name],
                cwd=ROOT,
                env={**self.env, **extra_env},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        self.running.append((process, log_path))
        return process

    def logs(self) -> str:
        return "\n".join(f"--- {path}\n{open(path).read()[-2500:]}" for _, path in self.running)

    def stop_all(self) -> None:
        for process, _ in self.running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process, _ in self.running:
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()


@pytest.fixture
def processes(app, tmp_path):
    procs = Processes(app, tmp_path)
    yield procs
    procs.stop_all()


def wait_for(predicate, what: str, processes: Processes, timeout_s: float = TIMEOUT_S):
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}\n{processes.logs()}")


def item_rows(app) -> dict[int, tuple[str, str | None]]:
    """Read through a plain engine: the app's SQLite sessions begin IMMEDIATE (a write lock),
    which would wait for the paused worker; a plain read does not (WAL)."""
    engine = create_engine(app.config["SQLALCHEMY_DATABASE_URI"])
    try:
        with engine.connect() as connection:
            return {
                row.id: (row.status, row.stage) for row in connection.execute(select(Item.id, Item.status, Item.stage))
            }
    finally:
        engine.dispose()


def counts_by(app, model, *columns) -> Counter:
    with app.app_context():
        found = Counter(tuple(row) for row in db.session.execute(select(*[getattr(model, c) for c in columns])))
        db.session.rollback()
    return found


def upload(app) -> list[int]:
    """A known-bad image (hash match → automated removal, a case, a webhook) and a text."""
    api = ApiHelper(app.test_client(), make_api_key(app))
    image = image_bytes("PNG", color=(250, 1, 1))
    known_image(app, image, "csam")
    response = api.client.put("/api/v1/webhook", json={"url": "http://127.0.0.1:9/hook"}, headers=api.headers)
    assert response.status_code == 200
    ids = [
        api.post_image(image, external_id="bad", author_id="u", country="US").json["id"],
        api.post_json("/items", text_item("txt", text="you are a damn idiot, shut up")).json["id"],
    ]
    return ids


def assert_exactly_once(app, item_ids: list[int]) -> None:
    from workbench.audit.checkpoints import verify_log
    from workbench.audit.keys import load_or_create_signing_key

    with app.app_context():
        errors = dict(db.session.execute(select(Item.id, Item.error).where(Item.status != ItemStatus.PROCESSED)).all())
        db.session.rollback()
    assert errors == {}
    assert sorted(item_rows(app)) == sorted(item_ids)
    for model, columns in (
        (ItemHash, ("item_id", "algorithm")),
        (ItemSignal, ("item_id", "classifier", "label")),
        (HashMatch, ("item_id", "entry_id", "algorithm")),
        (PolicyEvaluation, ("item_id",)),
        (Case, ("item_id", "queue")),
        (Decision, ("item_id", "rule_id", "outcome")),
        (WebhookDelivery, ("event_key",)),
    ):
        found = counts_by(app, model, *columns)
        assert found and max(found.values()) == 1, (model.__name__, found)
    image_id = item_ids[0]
    assert counts_by(app, HashMatch, "item_id")[(image_id,)] == 1
    assert counts_by(app, Case, "item_id")[(image_id,)] == 1
    decisions = counts_by(app, Decision, "item_id")[(image_id,)]
    assert decisions >= 1 and len(counts_by(app, WebhookDelivery, "event_key")) == decisions

    with app.app_context():
        events = db.session.execute(
            select(AuditEvent.action, AuditEvent.object_type, AuditEvent.object_id, AuditEvent.payload)
        ).all()
        verification = verify_log(db.session, load_or_create_signing_key(str(app.instance_path) + "/audit.pem"))
        db.session.rollback()
    assert verification.ok, verification.problems
    transitions = Counter(
        (action, object_type, object_id, json.loads(payload).get("stage"))
        for action, object_type, object_id, payload in events
        if action not in ("item.requeued", "item.attempt_failed")
    )
    duplicated = {key: n for key, n in transitions.items() if n > 1}
    assert duplicated == {}
    for item_id in item_ids:
        for stage in STAGES:
            assert transitions[("item.stage_completed", "item", str(item_id), stage)] == 1, (item_id, stage)
        assert transitions[("item.processed", "item", str(item_id), "route")] == 1


def sweep_now(app) -> list[int]:
    from workbench.pipeline.sweeper import sweep, sweep_settings

    with app.app_context():
        try:
            return sweep(db.session, sweep_settings(workbench_settings.current(), lost_after_s=0, stuck_after_s=0))
        finally:
            db.session.remove()


def heartbeat_expired(app, worker: str) -> bool:
    from workbench.pipeline.batch_queue import batch_queue_for

    with app.app_context():
        return worker not in batch_queue_for("classify").live_workers()


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
@pytest.mark.parametrize("at", MOMENTS)
@pytest.mark.parametrize("stage", STAGES)
def test_a_worker_killed_inside_a_stage_finishes_each_item_exactly_once(app, processes, tmp_path, stage, at):
    _crash_and_recover(app, processes, tmp_path, stage, at)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
@pytest.mark.parametrize("stage,at", [("policy", "before_commit"), ("classify", "after_commit")])
def test_a_worker_killed_inside_a_stage_on_sqlite(app, processes, tmp_path, stage, at):
    _crash_and_recover(app, processes, tmp_path, stage, at)


def _crash_and_recover(app, processes: Processes, tmp_path, stage: str, at: str) -> None:
    pause_dir = tmp_path / "pause"
    pause_dir.mkdir()
    fault = {STAGE_VARIABLE: stage, AT_VARIABLE: at, DIR_VARIABLE: str(pause_dir)}
    item_ids = upload(app)
    worker = processes.start("crash-worker", "worker", **fault)
    classify_worker = processes.start("crash-classify", "classify-worker", **fault)
    marker = pause_dir / marker_name(stage, at)
    wait_for(marker.exists, f"the pause in {stage} ({at})", processes)
    victim = classify_worker if stage == "classify" else worker
    wait_for(lambda: marker.read_text().strip(), "the pid in the marker", processes)
    assert int(marker.read_text()) == victim.pid

    stages = {item_id: item_stage for item_id, (_, item_stage) in item_rows(app).items()}
    if at == "after_commit":
        assert stage in stages.values()  # the stage's transaction did commit
    os.killpg(victim.pid, signal.SIGKILL)
    victim.wait(10)
    if at == "before_commit":  # nothing of the paused transaction survived the kill
        assert {i: s for i, (_, s) in item_rows(app).items()} == stages
        assert stage not in stages.values()
    survivor = worker if victim is classify_worker else classify_worker
    os.killpg(survivor.pid, signal.SIGTERM)
    survivor.wait(20)

    # What an operator's deployment does next: the sweeper notices, fresh workers take over.
    wait_for(
        lambda: heartbeat_expired(app, "crash-classify"), "the dead classify worker's heartbeat to expire", processes
    )
    sweep_now(app)
    processes.start("fresh-worker", "worker")
    processes.start("fresh-classify", "classify-worker")
    wait_for(
        lambda: all(status in ItemStatus.FINAL for status, _ in item_rows(app).values()),
        "every item to reach a final status",
        processes,
    )
    processes.stop_all()
    assert sweep_now(app) == []  # nothing left behind
    assert_exactly_once(app, item_ids)
    with app.app_context():
        assert (
            db.session.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "item.failed"))
            == 0
        )


def test_the_pause_hook_is_inert_without_its_environment(monkeypatch, tmp_path):
    for name in (STAGE_VARIABLE, AT_VARIABLE, DIR_VARIABLE):
        monkeypatch.delenv(name, raising=False)
    pause_point("policy", "before_commit")  # returns at once
    monkeypatch.setenv(STAGE_VARIABLE, "policy")
    monkeypatch.setenv(DIR_VARIABLE, str(tmp_path))
    pause_point("route", "before_commit")  # another stage
    pause_point("policy", "after_commit")  # another moment
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "release").touch()
    pause_point("policy", "before_commit")  # pauses, finds the release file, returns
    assert (tmp_path / marker_name("policy", "before_commit")).read_text() == str(os.getpid())

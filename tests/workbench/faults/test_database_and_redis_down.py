"""Faults: the database unreachable, Redis stopped and restarted with items in flight."""

from __future__ import annotations

import os
import subprocess

import pytest
from sqlalchemy import func, select

from tests.support.api import ApiHelper
from tests.support.apps import make_test_app
from tests.support.factories import image_bytes, make_api_key, text_item
from tests.support.postgres import PostgresCluster, _bin
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.models import Item, ItemStatus


@pytest.fixture
def own_cluster():
    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


def pg_ctl(cluster, action: str) -> None:
    argv = [_bin("pg_ctl"), "-D", cluster.data, "-w", "-m", "fast", action]
    if action == "start":
        argv = [
            _bin("pg_ctl"),
            "-D",
            cluster.data,
            "-w",
            "-l",
            os.path.join(cluster.root, "log2"),
            "-o",
            f"-p {cluster.port} -k {cluster.root} -c listen_addresses=127.0.0.1 -c fsync=off",
            "start",
        ]
    if cluster.run_as:
        argv = ["runuser", "-u", cluster.run_as, "--", *argv]
    subprocess.run(argv, check=True, capture_output=True)


@pytest.mark.slow
def test_database_unreachable_answers_503_and_writes_nothing(own_cluster, tmp_path, redis_server):
    from tests.support.apps import test_config
    from workbench import create_app

    url = own_cluster.create_database("faults")
    app = create_app(test_config(url, tmp_path / "instance", redis_server.url))
    with app.app_context():
        import workbench.models  # noqa: F401  (registers every table)

        db.create_all()
    api = ApiHelper(app.test_client(), make_api_key(app))
    assert api.post_json("/items", text_item("before")).status_code == 201

    pg_ctl(own_cluster, "stop")
    for response in (
        api.post_json("/items", text_item("during")),
        api.post_image(image_bytes("PNG", color=(5, 6, 7)), external_id="img", author_id="u", country="DE"),
    ):
        assert response.status_code == 503, response.get_data(as_text=True)
        assert response.json["error"]["code"] == "database_unavailable"
    blob_dir = workbench_settings.of(app).blob_dir
    leftover = [n for folder, _, names in os.walk(blob_dir) if ".locks" not in folder for n in names]
    assert leftover == []  # the upload's bytes were removed with the failed transaction
    health = app.test_client().get("/healthz")
    assert health.status_code == 503 and health.json["database"]["ok"] is False

    pg_ctl(own_cluster, "start")
    assert api.post_json("/items", text_item("after")).status_code == 201
    with app.app_context():
        external_ids = sorted(db.session.scalars(select(Item.external_id)))
        db.engine.dispose()
    assert external_ids == ["after", "before"]


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_redis_restart_with_items_in_flight(backend, request, tmp_path):
    """Items accepted while Redis is down, or queued when it died, are all processed after it returns."""
    from workbench.embedded_redis import EmbeddedRedis
    from workbench.jobs.worker import run_worker
    from workbench.pipeline.sweeper import sweep, sweep_settings

    folder = tmp_path / "redis"
    redis = EmbeddedRedis(str(folder / "redis.sock"), str(folder), persistent=False).start()
    try:
        with make_test_app(backend, tmp_path, redis, request) as app:
            api = ApiHelper(app.test_client(), make_api_key(app))
            queued = [api.post_json("/items", text_item(f"q{i}")).json["id"] for i in range(5)]
            redis.stop()  # the queued jobs die with it (no persistence)
            accepted_while_down = [api.post_json("/items", text_item(f"d{i}")) for i in range(5)]
            assert all(r.status_code == 201 for r in accepted_while_down)
            redis.start()
            with app.app_context():
                requeued = sweep(
                    db.session, sweep_settings(workbench_settings.current(), lost_after_s=0, stuck_after_s=3600)
                )
                assert sorted(requeued) == sorted(queued + [r.json["id"] for r in accepted_while_down])
                run_worker(burst=True, with_scheduler=False)
                statuses = dict(db.session.execute(select(Item.status, func.count()).group_by(Item.status)).all())
            assert statuses == {ItemStatus.PROCESSED: 10}
    finally:
        redis.stop()

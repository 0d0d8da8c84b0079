"""Fixtures: embedded Redis, a throwaway PostgreSQL cluster, and the app on both databases.

Workbench imports stay inside fixtures, so the library test suites (classifiers/,
policies/) run without the app.
"""

from __future__ import annotations

import os
import tempfile

import pytest

BACKENDS = ("sqlite", "postgresql")


@pytest.fixture(scope="session")
def redis_server():
    from workbench.embedded_redis import EmbeddedRedis

    folder = tempfile.mkdtemp(prefix="wb-redis-")
    server = EmbeddedRedis(os.path.join(folder, "redis.sock"), folder, persistent=False).start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def pg_cluster():
    from tests.support.postgres import PostgresCluster

    cluster = PostgresCluster().start()
    yield cluster
    cluster.stop()


@pytest.fixture(params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def app(backend, request, tmp_path, redis_server):
    from tests.support.apps import make_test_app

    with make_test_app(backend, tmp_path, redis_server, request) as test_app:
        yield test_app


@pytest.fixture
def db_session(app):
    """A session whose work is rolled back after the test (commits become savepoints)."""
    from workbench.extensions import db

    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        original = db.session
        db.session = db._make_scoped_session({"bind": connection, "join_transaction_mode": "create_savepoint"})
        try:
            yield db.session
        finally:
            db.session.remove()
            db.session = original
            transaction.rollback()
            connection.close()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def api_key(app):
    from tests.support.factories import make_api_key

    return make_api_key(app)


@pytest.fixture
def api(client, api_key):
    from tests.support.api import ApiHelper

    return ApiHelper(client, api_key)


@pytest.fixture
def auth(client, app):
    from tests.support.auth import AuthHelper

    return AuthHelper(client, app)


@pytest.fixture
def run_worker(app):
    """Drain the pipeline with real workers in this process: the RQ queue, and the classify
    stage's batch queue when a test turns classifiers on (tests/support/classify.py)."""
    from tests.support.classify import drain_pipeline

    def drain():
        drain_pipeline(app)

    return drain

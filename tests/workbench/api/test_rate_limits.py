"""API rate limits: token buckets per API client and kind of request, in the real Redis."""

from __future__ import annotations

import logging
import shutil
import threading
import time

import pytest
from redis import Redis
from sqlalchemy import func, select

from tests.support.api import ApiHelper
from tests.support.factories import image_bytes, make_api_key, text_item
from tests.workbench.test_metrics import scrape
from workbench import settings as workbench_settings
from workbench.extensions import db, get_redis
from workbench.models import Blob, Item
from workbench.services.platforms.token_buckets import Limit, TokenBuckets, Verdict

KINDS = ("UPLOADS", "REPORTS", "READS", "WRITES")


def limit(app, kind: str, per_s: float, burst: int) -> None:
    workbench_settings.update(
        app, **{f"WORKBENCH_RATE_LIMIT_{kind}_PER_S": per_s, f"WORKBENCH_RATE_LIMIT_{kind}_BURST": burst}
    )


def rows(app, model) -> int:
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model))


def assert_rate_limited(response, kind: str) -> None:
    assert response.status_code == 429, response.get_data(as_text=True)
    assert response.json["error"]["code"] == "rate_limited"
    assert kind in response.json["error"]["message"]
    assert int(response.headers["Retry-After"]) >= 1
    assert response.headers["RateLimit-Remaining"] == "0"


def test_a_burst_over_the_limit_is_refused_without_touching_other_buckets(app, api, client):
    limit(app, "UPLOADS", 0.001, 3)  # a token every 1000 s: nothing refills during the test
    accepted = [api.post_json("/items", text_item(f"b{n}")) for n in range(3)]
    assert [r.status_code for r in accepted] == [201, 201, 201]
    assert [r.headers["RateLimit-Remaining"] for r in accepted] == ["2", "1", "0"]
    assert {r.headers["RateLimit-Limit"] for r in accepted} == {"3"}

    refused = api.post_json("/items", text_item("b3"))
    assert_rate_limited(refused, "uploads")
    assert 1 <= int(refused.headers["Retry-After"]) <= 1000
    image = api.post_image(image_bytes(), external_id="img", author_id="u", country="DE")
    assert_rate_limited(image, "uploads")
    assert rows(app, Item) == 3 and rows(app, Blob) == 0  # refused before the body was read

    # Reads are another bucket; another client has buckets of its own.
    assert api.get(f"/items/{accepted[0].json['id']}").status_code == 200
    other = ApiHelper(client, make_api_key(app, "other-platform"))
    assert other.post_json("/items", text_item("o1")).status_code == 201

    samples = scrape(client)
    assert samples['workbench_api_rate_limited_total{kind="uploads"}'] == 2
    assert samples['workbench_api_rate_limit_burst{kind="uploads"}'] == 3
    assert samples['workbench_api_rate_limit_per_second{kind="uploads"}'] == 0.001


def test_each_kind_of_request_has_its_own_bucket(app, api, client):
    for kind in KINDS:
        limit(app, kind, 0.001, 1)
    item_id = api.post_json("/items", text_item("k1")).json["id"]
    assert_rate_limited(api.post_json("/items", text_item("k2")), "uploads")
    assert api.get(f"/items/{item_id}").status_code == 200
    assert_rate_limited(api.get(f"/items/{item_id}"), "reads")
    # Reports and appeals share one bucket; an invalid request spends its token too.
    assert api.post_json("/reports", {"item_id": item_id}).status_code == 400
    assert_rate_limited(
        api.post_json("/appeals", {"external_id": "a1", "item_id": item_id, "explanation": "satire"}), "reports"
    )
    assert api.client.post("/api/v1/webhook/secret", headers=api.headers).status_code == 200
    assert_rate_limited(api.client.post("/api/v1/webhook/secret", headers=api.headers), "writes")
    samples = scrape(client)
    for kind in ("uploads", "reads", "reports", "writes"):
        assert samples[f'workbench_api_rate_limited_total{{kind="{kind}"}}'] == 1


def test_the_bucket_refills(app, api):
    limit(app, "UPLOADS", 0.001, 2)  # empty it, however slowly the requests run
    assert [api.post_json("/items", text_item(f"r{n}")).status_code for n in range(2)] == [201, 201]
    assert_rate_limited(api.post_json("/items", text_item("r2")), "uploads")
    limit(app, "UPLOADS", 5.0, 2)  # the same bucket, now refilling at 5 tokens a second
    time.sleep(1.0)  # more than enough to fill it
    again = api.post_json("/items", text_item("r2"))
    assert again.status_code == 201
    assert again.headers["RateLimit-Remaining"] == "1" and again.headers["RateLimit-Reset"] == "1"


def test_zero_per_second_turns_a_limit_off(app, api):
    limit(app, "READS", 0, 1)
    for _ in range(3):
        response = api.get("/items?external_id=none")
        assert response.status_code == 404 and "RateLimit-Limit" not in response.headers


def test_with_redis_unreachable_requests_are_let_through(app, api, tmp_path, caplog):
    limit(app, "UPLOADS", 0.001, 1)
    app.extensions["workbench_redis"] = Redis.from_url(f"unix://{tmp_path}/no-redis.sock", socket_connect_timeout=1)
    with caplog.at_level(logging.WARNING, logger="workbench.api.rate_limits"):
        responses = [api.post_json("/items", text_item(f"d{n}")) for n in range(3)]
    assert [r.status_code for r in responses] == [201, 201, 201]  # durable; the sweeper queues them later
    assert all("RateLimit-Limit" not in r.headers for r in responses)
    assert "API rate limits not enforced" in caplog.text


@pytest.fixture
def default_limits_app(tmp_path, redis_server, monkeypatch):
    """The app as test_config builds it, minus the tests' generous limits: the declared defaults."""
    from tests.support.apps import GENEROUS_RATE_LIMITS, _sqlite_template_file, test_config
    from workbench import create_app

    for key in GENEROUS_RATE_LIMITS:
        monkeypatch.delenv(key, raising=False)
    shutil.copy(_sqlite_template_file(), tmp_path / "workbench.db")
    config = test_config(f"sqlite:///{tmp_path / 'workbench.db'}", tmp_path / "instance", redis_server.url)
    for key in GENEROUS_RATE_LIMITS:
        del config[key]
    app = create_app(config)
    with app.app_context():
        get_redis().flushdb()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def test_the_documented_defaults_apply_when_not_overridden(default_limits_app):
    app = default_limits_app
    api = ApiHelper(app.test_client(), make_api_key(app))
    item = api.post_json("/items", text_item("d1"))
    assert (item.status_code, item.headers["RateLimit-Limit"], item.headers["RateLimit-Remaining"]) == (
        201,
        "500",
        "499",
    )
    assert api.get(f"/items/{item.json['id']}").headers["RateLimit-Limit"] == "500"
    assert api.post_json("/reports", {}).headers["RateLimit-Limit"] == "200"
    # Writes: 100 at once, then 10/s. Empty bodies (400) spend tokens as well as real ones.
    statuses = []
    while 429 not in statuses and len(statuses) < 2000:
        statuses.append(
            api.client.put(
                "/api/v1/webhook", data=b"", content_type="application/json", headers=api.headers
            ).status_code
        )
    assert statuses[-1] == 429 and len(statuses) > 100 and set(statuses[:100]) == {400}


def test_concurrent_takers_never_overspend_a_bucket(redis_server):
    """Eight connections racing for one bucket get exactly its burst (refill: ~0 here)."""
    bucket = Limit(per_second=0.0001, burst=20)
    Redis.from_url(redis_server.url).delete("wb:ratelimit:race")
    granted: list[bool] = []
    lock, start = threading.Lock(), threading.Barrier(8)

    def take_ten():
        buckets = TokenBuckets(Redis.from_url(redis_server.url))
        start.wait()
        mine = [buckets.take("race", bucket).allowed for _ in range(10)]
        with lock:
            granted.extend(mine)

    threads = [threading.Thread(target=take_ten) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(granted) == 80 and sum(granted) == 20


def test_processes_leasing_tokens_from_a_large_bucket_never_overspend_it(redis_server):
    """A large bucket is leased a few tokens at a time (fewer round trips to Redis); eight
    processes' worth of buckets racing for it still get exactly its burst, never more."""
    bucket = Limit(per_second=0.0001, burst=640)
    assert TokenBuckets.lease_size(bucket) == 10
    Redis.from_url(redis_server.url).delete("wb:ratelimit:lease-race")
    granted: list[bool] = []
    lock, start = threading.Lock(), threading.Barrier(8)

    def take_many():
        buckets = TokenBuckets(Redis.from_url(redis_server.url))
        start.wait()
        mine = [buckets.take("lease-race", bucket).allowed for _ in range(120)]
        with lock:
            granted.extend(mine)

    threads = [threading.Thread(target=take_many) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    # Never more than the burst; fewer only if a stalled thread let its lease (at most 9 unspent
    # tokens) expire, which a busy machine may do.
    assert len(granted) == 960 and 640 - 8 * 9 <= sum(granted) <= 640


@pytest.mark.parametrize("wait_s, retry_after", [(0.0001, 1), (0.5, 1), (1.0, 1), (1.01, 2), (59.2, 60)])
def test_retry_after_is_whole_seconds_rounded_up(wait_s, retry_after):
    assert Verdict(False, Limit(1.0, 5), 0.0, wait_s).retry_after_s == retry_after

"""/healthz, login with CSRF, security headers, escaping of user content."""

from __future__ import annotations

import threading

from tests.support.auth import csrf_token_from
from tests.support.factories import make_user, text_item


def test_healthz_reports_degraded_without_workers(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json
    assert body["database"]["ok"] and body["redis"]["ok"]
    assert body["workers"] == {"ok": False, "count": 0}


def test_healthz_is_green_with_a_worker(app, client):
    from rq import SimpleWorker

    from workbench.extensions import get_queue, get_redis

    with app.app_context():
        worker = SimpleWorker([get_queue()], connection=get_redis())
        worker.register_birth()
        try:
            response = client.get("/healthz")
        finally:
            worker.register_death()
    assert response.status_code == 200, response.json
    assert response.json["status"] == "ok" and response.json["workers"]["count"] == 1


def test_healthz_reports_redis_down(app, client):
    app.extensions["workbench_redis"] = type(app.extensions["workbench_redis"]).from_url(
        "unix:///nonexistent/redis.sock", socket_connect_timeout=0.2
    )
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json["redis"]["ok"] is False and response.json["database"]["ok"] is True


def test_pages_need_login(client):
    response = client.get("/")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_login_and_security_headers(auth, client):
    response = auth.login("moderator")
    assert response.status_code == 302
    page = client.get("/")
    assert page.status_code == 200
    assert "moderator-user" in page.get_data(as_text=True)
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "object-src 'none'" in csp
    assert page.headers["X-Content-Type-Options"] == "nosniff"
    assert page.headers["X-Frame-Options"] == "DENY"


def test_wrong_password_is_refused_and_audited(app, client):
    make_user(app, "alice", "moderator", "right password")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post("/login", data={"username": "alice", "password": "wrong", "csrf_token": token})
    assert response.status_code == 401
    assert "Wrong username or password" in response.get_data(as_text=True)
    from sqlalchemy import select

    from workbench.extensions import db
    from workbench.models import AuditEvent

    with app.app_context():
        actions = list(db.session.scalars(select(AuditEvent.action).where(AuditEvent.action.like("login.%"))))
    assert actions == ["login.failed"]


def test_login_without_csrf_token_is_rejected(app, client):
    make_user(app, "bob", "admin", "pw-pw-pw-pw-pw")
    response = client.post("/login", data={"username": "bob", "password": "pw-pw-pw-pw-pw"})
    assert response.status_code in (400, 401)
    assert client.get("/").status_code == 302  # still not logged in


def test_open_redirect_after_login_is_refused(app, client):
    make_user(app, "carol", "auditor", "pw-pw-pw-pw-pw")
    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login?next=//evil.example/x", data={"username": "carol", "password": "pw-pw-pw-pw-pw", "csrf_token": token}
    )
    assert response.status_code == 302 and response.headers["Location"] == "/"


def test_item_text_is_escaped_on_the_overview(app, api, auth, client):
    payload = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    api.post_json("/items", text_item(external_id=payload))
    auth.login("admin")
    html = client.get("/").get_data(as_text=True)
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html


def test_concurrent_identical_posts_create_one_item(app, api, backend):
    from tests.support.api import ApiHelper

    results = []

    def post():
        with app.test_client() as own_client:
            results.append(ApiHelper(own_client, api.key).post_json("/items", text_item("race")).status_code)

    threads = [threading.Thread(target=post) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results) == [200] * 7 + [201]

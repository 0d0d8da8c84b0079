"""Webhook SSRF against the real app: registration refuses non-public targets (API and admin
page), delivery checks again at every attempt and connects only to the address it checked
(DNS rebinding), TLS is verified for the URL's host name, and failures are shown as a fixed
vocabulary, never as raw exception text."""

from __future__ import annotations

import socket
from dataclasses import replace

from sqlalchemy import func, select, update

from tests.support.auth import csrf_token_from
from tests.support.factories import text_item
from tests.support.receiver import Receiver
from tests.support.tls import ThrowawayCA
from tests.workbench.webhooks.test_outbound_guard import NON_PUBLIC_URLS
from tests.workbench.webhooks.test_webhooks import FAST, LOOPBACK, deliveries, queue_events, register
from workbench import settings as workbench_settings
from workbench.audit import Actor
from workbench.extensions import db
from workbench.jobs.worker import run_worker
from workbench.models import ApiClient, AuditEvent, DeliveryStatus, WebhookAttempt, WebhookDelivery
from workbench.queues import enqueue_item_webhooks
from workbench.services.webhooks.delivery import deliver_item, set_webhook

ONCE = replace(FAST, max_attempts=1)
RAW_TEXT = (
    "Errno",
    "Error",
    "Exception",
    "Traceback",
    "HTTPConnection",
    "timed out",
    "Connection refused",
    "RemoteDisconnected",
    "gaierror",
    "Name or service",
    "resolves to",
    "loopback",
)


class FlipResolver:
    """Answers every name with `first` on the first lookup and `then` afterwards (DNS rebinding);
    None: the name does not resolve."""

    def __init__(self, first: str | None, then: str | None = None):
        self.first, self.then, self.calls = first, then, 0

    def __call__(self, host, port):
        self.calls += 1
        address = self.first if self.calls == 1 else self.then
        if address is None:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]


def set_url(app, url: str, resolver, allow=LOOPBACK) -> None:
    """Register through the service, with the test's resolver (the API uses the system's)."""
    with app.app_context():
        client = db.session.scalars(select(ApiClient)).one()
        set_webhook(db.session, client, url, Actor.api_client(client.id), allow_cidrs=allow, resolver=resolver)


def deliver_with(app, item_id: int, settings=FAST, **guard) -> None:
    with app.app_context():
        for _ in range(10):
            if deliver_item(db.session, item_id, settings, **guard) is None:
                return
        raise AssertionError("deliveries still pending")


def new_item(api, external_id: str = "post-1") -> int:
    return api.post_json("/items", text_item(external_id)).json["id"]


def test_registration_refuses_non_public_targets(app, api):
    workbench_settings.update(app, WORKBENCH_OUTBOUND_ALLOW_CIDRS=())  # production default
    for url in NON_PUBLIC_URLS:
        response = api.client.put("/api/v1/webhook", json={"url": url}, headers=api.headers)
        assert response.status_code == 422, (url, response.json)
        error = response.json["error"]
        assert (error["code"], error["field"]) == ("webhook_url_not_allowed", "url"), url
        assert "public" in error["message"] and "127.0.0.1" not in error["message"]  # what it resolved to stays private
    # A name that does not resolve gets the same answer (no oracle for internal names).
    unresolvable = api.client.put("/api/v1/webhook", json={"url": "https://nothing.invalid/"}, headers=api.headers)
    assert (unresolvable.status_code, unresolvable.json["error"]["code"]) == (422, "webhook_url_not_allowed")
    assert api.get("/webhook").json == {"url": None, "has_secret": False}
    with app.app_context():
        assert (
            db.session.scalar(
                select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "api_client.webhook_set")
            )
            == 0
        )

    workbench_settings.update(app, WORKBENCH_OUTBOUND_ALLOW_CIDRS=LOOPBACK)  # the operator allows a private receiver
    register(api, "http://127.0.0.1:9/hook")
    workbench_settings.update(app, WORKBENCH_OUTBOUND_ALLOW_CIDRS=())
    refused = api.client.put("/api/v1/webhook", json={"url": "http://[::ffff:127.0.0.1]:9/x"}, headers=api.headers)
    assert refused.status_code == 422
    assert api.get("/webhook").json["url"] == "http://127.0.0.1:9/hook"  # the refused PUT changed nothing


def test_the_admin_page_refuses_non_public_targets(app, api, auth, client):
    workbench_settings.update(app, WORKBENCH_OUTBOUND_ALLOW_CIDRS=())
    with app.app_context():
        client_id = db.session.scalars(select(ApiClient.id)).one()
    auth.login("admin")
    token = csrf_token_from(client.get(f"/admin/clients/{client_id}").get_data(as_text=True))
    for url in ("http://169.254.169.254/latest/meta-data/", "http://localhost:6379/", "http://2130706433/"):
        page = client.post(f"/admin/clients/{client_id}", data={"url": url, "csrf_token": token})
        assert page.status_code == 200
        assert "only to public internet addresses" in page.get_data(as_text=True)
    with app.app_context():
        assert db.session.get(ApiClient, client_id).webhook_url is None


def test_a_stored_url_is_refused_at_delivery_time(app, api):
    """A row written while the allow-list covered it (or by an older version) is checked again
    when the real worker delivers it."""
    item_id = new_item(api)
    with Receiver() as receiver:
        register(api, receiver.url)  # allowed: the tests' config allows loopback
        queue_events(app, item_id, "decision:1")
        workbench_settings.update(app, WORKBENCH_OUTBOUND_ALLOW_CIDRS=())  # the operator removes the allowance
        with app.app_context():
            assert enqueue_item_webhooks(item_id)
            run_worker([workbench_settings.of(app).webhook_queue], burst=True, with_scheduler=False)
        assert receiver.requests == []
    [delivery] = deliveries(app)
    assert (delivery.attempts, delivery.last_error) == (1, "address_not_allowed")
    assert api.get("/webhook/deliveries").json["deliveries"][0]["last_error"] == "address_not_allowed"

    # The cloud metadata address, written straight into the row: refused before any connection.
    with app.app_context():
        db.session.execute(update(ApiClient).values(webhook_url="http://169.254.169.254/latest/meta-data/"))
        db.session.commit()
    other_item = new_item(api, "post-2")  # the first item's delivery waits for its retry
    queue_events(app, other_item, "decision:2")
    deliver_with(app, other_item, replace(ONCE, allow_cidrs=()))
    assert [d.last_error for d in deliveries(app)] == ["address_not_allowed", "address_not_allowed"]


def test_dns_rebinding_after_registration_is_refused(app, api):
    """The name was public when registered and points at loopback when delivered."""
    item_id = new_item(api)
    resolver = FlipResolver("8.8.8.8", then="127.0.0.1")
    with Receiver() as receiver:
        set_url(app, f"http://hooks.rebind.test:{receiver.port}/hook", resolver, allow=())
        queue_events(app, item_id, "decision:1")
        deliver_with(app, item_id, replace(ONCE, allow_cidrs=()), resolver=resolver)
        assert receiver.requests == []
    assert resolver.calls == 2  # checked at registration and again at the attempt
    [delivery] = deliveries(app)
    assert (delivery.status, delivery.last_error) == (DeliveryStatus.FAILED, "address_not_allowed")


def test_delivery_connects_only_to_the_address_it_checked(app, api):
    """Within one attempt the name is resolved once; the connection goes to that address,
    however the name resolves afterwards. (The system resolver does not know the name: the
    request can only arrive if the checked address was used.)"""
    item_id = new_item(api)
    with Receiver("127.0.0.1") as checked_receiver, Receiver("127.0.0.2", checked_receiver.port) as other:
        url = f"http://hooks.rebind.test:{checked_receiver.port}/hook"
        set_url(app, url, FlipResolver("127.0.0.1"))
        queue_events(app, item_id, "decision:1")
        resolver = FlipResolver("127.0.0.1", then="127.0.0.2")
        deliver_with(app, item_id, resolver=resolver)
        assert resolver.calls == 1
        assert len(checked_receiver.requests) == 1 and other.requests == []
        assert checked_receiver.requests[0]["headers"]["Host"] == f"hooks.rebind.test:{checked_receiver.port}"

        # Every retry checks again: the next answer (127.0.0.2, not allowed) is refused, not sent.
        checked_receiver.script = ["500"]
        queue_events(app, item_id, "decision:2")
        deliver_with(app, item_id, resolver=FlipResolver("127.0.0.1", then="127.0.0.2"))
        assert len(checked_receiver.requests) == 2 and other.requests == []
    with app.app_context():
        errors = db.session.scalars(select(WebhookAttempt.error).order_by(WebhookAttempt.id)).all()
    assert errors == [None, "http_500", "address_not_allowed", "address_not_allowed"]


def test_tls_is_verified_for_the_url_host_name(app, api, tmp_path):
    ca = ThrowawayCA(tmp_path)
    server_names: list[str | None] = []
    good = ca.server_context("hooks.platform.test")
    good.sni_callback = lambda sock, name, context: server_names.append(name)
    with Receiver(tls=good) as receiver, Receiver(tls=ca.server_context("other.test")) as wrong_name:
        set_url(app, f"https://hooks.platform.test:{receiver.port}/hook", FlipResolver("127.0.0.1"))
        first = new_item(api, "tls-1")
        queue_events(app, first, "decision:1")
        deliver_with(app, first, ONCE, resolver=FlipResolver("127.0.0.1"), tls=ca.client_context())
        assert len(receiver.requests) == 1 and server_names == ["hooks.platform.test"]
        assert receiver.requests[0]["headers"]["Host"] == f"hooks.platform.test:{receiver.port}"

        second = new_item(api, "tls-2")  # the default trust store does not know the test CA
        queue_events(app, second, "decision:2")
        deliver_with(app, second, ONCE, resolver=FlipResolver("127.0.0.1"))

        set_url(app, f"https://hooks.platform.test:{wrong_name.port}/hook", FlipResolver("127.0.0.1"))
        third = new_item(api, "tls-3")  # a valid certificate, for another name
        queue_events(app, third, "decision:3")
        deliver_with(app, third, ONCE, resolver=FlipResolver("127.0.0.1"), tls=ca.client_context())
        assert len(receiver.requests) == 1 and wrong_name.requests == []
    assert [(d.status, d.last_error) for d in deliveries(app)] == [
        (DeliveryStatus.DELIVERED, None),
        (DeliveryStatus.FAILED, "tls_error"),
        (DeliveryStatus.FAILED, "tls_error"),
    ]


def test_failures_are_shown_as_a_fixed_vocabulary(app, api, auth, client):
    expected = {}
    with Receiver() as receiver, Receiver() as redirect_target:
        receiver.slow_s = 1.0
        receiver.redirect_to = redirect_target.url
        register(api, receiver.url)
        for behaviour, word in (
            ("500", "http_500"),
            ("redirect", "redirect_not_followed"),
            ("reset", "connection_closed"),
            ("slow", "timeout"),
            ("trickle", "timeout"),
        ):  # the timeout bounds the attempt, not each read
            item_id = new_item(api, behaviour)
            receiver.script = [behaviour]
            queue_events(app, item_id, f"decision:{behaviour}")
            deliver_with(app, item_id, ONCE)
            expected[f"decision:{behaviour}"] = word
        assert redirect_target.requests == []  # the redirect was not followed

        with socket.socket() as sock:  # a port nobody listens on
            sock.bind(("127.0.0.1", 0))
            closed_port = sock.getsockname()[1]
        set_url(app, f"http://127.0.0.1:{closed_port}/hook", socket.getaddrinfo)
        for key, word, url, settings, resolver in (
            ("decision:refused", "connection_refused", None, ONCE, socket.getaddrinfo),
            ("decision:dns", "dns_error", f"http://hooks.gone.test:{receiver.port}/", ONCE, FlipResolver(None)),
            (
                "decision:blocked",
                "address_not_allowed",
                receiver.url,
                replace(ONCE, allow_cidrs=()),
                socket.getaddrinfo,
            ),
        ):
            if url:
                set_url(app, url, FlipResolver("127.0.0.1"))
            item_id = new_item(api, key)
            queue_events(app, item_id, key)
            deliver_with(app, item_id, settings, resolver=resolver)
            expected[key] = word
        assert len(receiver.requests) == 5  # the five answers above; the refused URL was not requested
        with app.app_context():  # a row from before the vocabulary, holding raw exception text
            legacy = db.session.scalars(
                select(WebhookDelivery).where(WebhookDelivery.event_key == "decision:500")
            ).one()
            legacy.last_error = "ConnectionError: HTTPConnectionPool(host='10.1.2.3', port=80): [Errno 111] refused"
            db.session.add(WebhookAttempt(delivery_id=legacy.id, error=legacy.last_error, duration_ms=1))
            db.session.commit()
        expected["decision:500"] = "connection_error"

    listed = api.get("/webhook/deliveries").json["deliveries"]
    assert {d["event_id"]: d["last_error"] for d in listed} == expected
    auth.login("admin")
    page = client.get(f"/admin/clients/{deliveries(app)[0].client_id}").get_data(as_text=True)
    for word in expected.values():
        assert word in page
    assert not [text for text in RAW_TEXT if text in page]
    assert "10.1.2.3" not in page and "10.1.2.3" not in str(listed)

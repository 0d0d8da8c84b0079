"""Choosing and changing a key's scopes (admin pages and `flask clients …`), every change in
the audit log with the old and new scopes; bank visibility and owner on the bank admin page;
the demo's key and bank."""

from __future__ import annotations

import json
import re

import pytest
from sqlalchemy import select

from tests.support.api import ApiHelper
from tests.support.auth import csrf_token_from
from tests.support.factories import make_api_key
from workbench.extensions import db
from workbench.models import ApiClient, AuditEvent, HashBank
from workbench.services.platforms.scopes import DEFAULT_SCOPES

KEY = re.compile(r"wb_[0-9a-f]{12}_[A-Za-z0-9_-]+")


def _client(app, name: str) -> ApiClient:
    with app.app_context():
        client = db.session.scalar(select(ApiClient).where(ApiClient.name == name))
        db.session.expunge(client)
        return client


def _events(app, action: str) -> list[dict]:
    with app.app_context():
        return [
            json.loads(payload)
            for payload in db.session.scalars(
                select(AuditEvent.payload).where(AuditEvent.action == action).order_by(AuditEvent.id)
            )
        ]


def _cli(app, *args):
    return app.test_cli_runner().invoke(args=list(args))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_admin_makes_a_key_with_chosen_scopes_changes_them_and_each_change_is_audited(app, client, auth):
    auth.login("admin")
    page = client.get("/admin/clients/new")
    assert page.status_code == 200
    for scope in DEFAULT_SCOPES:  # the usual platform scopes are ticked, the bank scopes are not
        assert re.search(
            rf'checked[^>]*value="{re.escape(scope)}"|value="{re.escape(scope)}"[^>]*checked',
            page.get_data(as_text=True),
        ), scope
    assert not re.search(r'value="banks:read"[^>]*checked', page.get_data(as_text=True))
    token = csrf_token_from(page.get_data(as_text=True))
    made = client.post(
        "/admin/clients/new", data={"name": "platform-x", "scopes": ["items", "banks:read"], "csrf_token": token}
    )
    assert made.status_code == 200 and made.headers["Cache-Control"] == "no-store"
    key = KEY.search(made.get_data(as_text=True)).group(0)
    x = _client(app, "platform-x")
    assert x.scope_list == ["items", "banks:read"]
    assert _events(app, "api_client.created")[-1]["scopes"] == ["items", "banks:read"]
    listing = client.get("/admin/clients/").get_data(as_text=True)
    assert "platform-x" in listing and "<code>banks:read</code>" in listing and key not in listing

    api = ApiHelper(client, key)
    assert api.get("/banks").status_code == 200
    refused = api.post_json("/reports", {"item_id": 1, "source": "user", "category": "spam"})
    assert refused.status_code == 403 and refused.json["error"]["code"] == "insufficient_scope"
    assert "'reports'" in refused.json["error"]["message"]

    scopes_page = client.get(f"/admin/clients/{x.id}/scopes")
    changed = client.post(
        f"/admin/clients/{x.id}/scopes",
        data={"scopes": ["items", "reports"], "csrf_token": csrf_token_from(scopes_page.get_data(as_text=True))},
    )
    assert changed.status_code == 302
    assert _client(app, "platform-x").scope_list == ["items", "reports"]
    event = _events(app, "api_client.scopes_changed")[-1]
    assert event == {
        "old_scopes": ["items", "banks:read"],
        "new_scopes": ["items", "reports"],
        "added": ["reports"],
        "removed": ["banks:read"],
    }
    with app.app_context():
        actor = db.session.scalar(select(AuditEvent.actor_type).where(AuditEvent.action == "api_client.scopes_changed"))
    assert actor == "user"
    # The same key, from the next request on: the bank scope is gone, reports work.
    assert api.get("/banks").status_code == 403
    assert api.post_json("/reports", {"item_id": 1, "source": "user", "category": "spam"}).status_code == 404


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_bad_scope_forms_are_form_errors_and_change_nothing(app, client, auth):
    auth.login("admin")
    make_api_key(app, "taken", DEFAULT_SCOPES)
    token = csrf_token_from(client.get("/admin/clients/new").get_data(as_text=True))
    bad_scope = client.post(
        "/admin/clients/new", data={"name": "y", "scopes": ["items", "everything"], "csrf_token": token}
    )
    assert bad_scope.status_code == 400 and "not a valid choice" in bad_scope.get_data(as_text=True).lower()
    taken = client.post("/admin/clients/new", data={"name": "taken", "scopes": ["items"], "csrf_token": token})
    assert taken.status_code == 400 and "exists" in taken.get_data(as_text=True)
    no_token = client.post("/admin/clients/new", data={"name": "z", "scopes": ["items"]})
    assert no_token.status_code == 400
    with app.app_context():
        assert sorted(db.session.scalars(select(ApiClient.name))) == ["taken"]
    taken_id = _client(app, "taken").id
    page = client.get(f"/admin/clients/{taken_id}/scopes").get_data(as_text=True)
    bad = client.post(
        f"/admin/clients/{taken_id}/scopes", data={"scopes": ["banks:admin"], "csrf_token": csrf_token_from(page)}
    )
    assert bad.status_code == 400
    assert _client(app, "taken").scope_list == list(DEFAULT_SCOPES)
    assert _events(app, "api_client.scopes_changed") == []


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_only_admins_manage_keys(app, client, auth):
    auth.login("senior_moderator")
    assert client.get("/admin/clients/new").status_code == 403
    assert client.post("/admin/clients/new", data={"name": "x", "scopes": ["items"]}).status_code in (400, 403)
    with app.app_context():
        assert db.session.scalars(select(ApiClient)).all() == []


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_cli_creates_keys_with_scopes_and_changes_them(app):
    default = _cli(app, "clients", "create", "cli-default")
    assert default.exit_code == 0 and "items reports appeals webhooks" in default.output
    assert _client(app, "cli-default").scope_list == list(DEFAULT_SCOPES)
    scoped = _cli(app, "clients", "create", "cli-banks", "--scope", "banks:read,banks:write")
    assert scoped.exit_code == 0 and KEY.search(scoped.output)
    assert _client(app, "cli-banks").scope_list == ["banks:read", "banks:write"]
    unknown = _cli(app, "clients", "create", "cli-bad", "--scope", "admin")
    assert unknown.exit_code != 0 and "unknown scope" in unknown.output
    with app.app_context():
        assert db.session.scalar(select(ApiClient).where(ApiClient.name == "cli-bad")) is None

    changed = _cli(app, "clients", "set-scopes", "cli-default", "--scope", "items", "--scope", "banks:read")
    assert changed.exit_code == 0, changed.output
    assert _client(app, "cli-default").scope_list == ["items", "banks:read"]
    event = _events(app, "api_client.scopes_changed")[-1]
    assert (event["old_scopes"], event["new_scopes"]) == (list(DEFAULT_SCOPES), ["items", "banks:read"])
    assert _cli(app, "clients", "set-scopes", "cli-default", "--none").exit_code == 0
    assert _client(app, "cli-default").scope_list == []
    assert _cli(app, "clients", "set-scopes", "cli-default").exit_code != 0  # neither scopes nor --none
    assert _cli(app, "clients", "set-scopes", "nobody", "--scope", "items").exit_code != 0
    listing = _cli(app, "clients", "list").output
    assert "cli-banks" in listing and "banks:read banks:write" in listing and "(no scopes)" in listing
    assert "banks:write" in _cli(app, "clients", "scopes").output


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_staff_set_visibility_and_owner_on_the_bank_page_audited(app, client, auth):
    auth.login("admin")
    key = make_api_key(app, "owner-platform")
    owner_id = _client(app, "owner-platform").id
    api = ApiHelper(client, key)
    page = client.get("/banks/new").get_data(as_text=True)
    assert 'value="shared-read"' in page and "owner-platform" in page
    form = {
        "name": "staff-list",
        "kind": "csam",
        "enabled": "y",
        "pdq_threshold": "31",
        "phash_threshold": "8",
        "dhash_threshold": "8",
        "csrf_token": csrf_token_from(page),
    }
    created = client.post("/banks/new", data=form)
    assert created.status_code == 302
    with app.app_context():
        bank = db.session.scalar(select(HashBank).where(HashBank.name == "staff-list"))
        assert (bank.visibility, bank.owner_client_id) == ("private", None)
        bank_id = bank.id
    assert api.get(f"/banks/{bank_id}").status_code == 404  # private by default

    edit = client.get(f"/banks/{bank_id}/edit").get_data(as_text=True)
    saved = client.post(
        f"/banks/{bank_id}/edit",
        data={
            **form,
            "visibility": "shared-read",
            "owner_client_id": str(owner_id),
            "csrf_token": csrf_token_from(edit),
        },
    )
    assert saved.status_code == 302
    changes = _events(app, "bank.updated")[-1]["changes"]
    assert changes == {"visibility": ["private", "shared-read"], "owner_client_id": [None, owner_id]}
    document = api.get(f"/banks/{bank_id}").json
    assert (document["visibility"], document["owned"]) == ("shared-read", True)
    assert "owner-platform" in client.get(f"/banks/{bank_id}").get_data(as_text=True)

    bad = client.post(
        f"/banks/{bank_id}/edit",
        data={**form, "visibility": "public", "owner_client_id": "999", "csrf_token": csrf_token_from(edit)},
    )
    assert bad.status_code == 400
    with app.app_context():
        bank = db.session.get(HashBank, bank_id)
        assert (bank.visibility, bank.owner_client_id) == ("shared-read", owner_id)
    # A platform cannot change these over the API, not even on its own bank.
    refused = client.patch(f"/api/v1/banks/{bank_id}", json={"visibility": "private"}, headers=api.headers)
    assert refused.status_code == 400 and refused.json["error"]["code"] == "unknown_field"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_the_demo_key_has_only_what_the_demo_needs_and_its_bank_needs_no_bank_scope(app):
    from PIL import Image

    from tests.support.images import encode
    from workbench.demo import seed as demo
    from workbench.demo.banks import DEMO_BANK, ensure_demo_bank
    from workbench.services.platforms.clients import create_client

    with app.app_context():
        # A demo client from before scopes existed keeps only what the demo needs.
        create_client(db.session, demo.DEMO_CLIENT, demo.DEMO_ACTOR, DEFAULT_SCOPES)
        key = demo.ensure_demo_client()
        assert key == demo.ensure_demo_client()  # idempotent
        images = [("demo-image-4", "IN", "image/png", encode(Image.linear_gradient("L").resize((320, 240))))]
        bank_id = ensure_demo_bank(images)
        assert ensure_demo_bank(images) == bank_id
        bank = db.session.get(HashBank, bank_id)
        assert (bank.name, bank.owner_client_id, bank.visibility) == (DEMO_BANK, None, "private")
    assert _client(app, demo.DEMO_CLIENT).scope_list == ["items", "reports"]
    assert _events(app, "api_client.scopes_changed")[-1]["removed"] == ["appeals", "webhooks"]
    demo_api = ApiHelper(app.test_client(), key)
    assert demo_api.get("/banks").status_code == 403


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cli_shares_a_bank_and_hands_it_to_a_platform_audited(app):
    key = make_api_key(app, "cli-owner")
    assert _cli(app, "banks", "create", "cli-list", "--kind", "spam").exit_code == 0
    shown = _cli(app, "banks", "sharing", "cli-list")
    assert shown.exit_code == 0 and "private, owned by staff" in shown.output
    assert ApiHelper(app.test_client(), key).get("/banks").json["banks"] == []
    changed = _cli(app, "banks", "sharing", "cli-list", "--visibility", "shared-read", "--owner", "cli-owner")
    assert changed.exit_code == 0 and "shared-read, owned by cli-owner" in changed.output, changed.output
    listed = ApiHelper(app.test_client(), key).get("/banks").json["banks"]
    assert [(bank["name"], bank["owned"]) for bank in listed] == [("cli-list", True)]
    assert _events(app, "bank.updated")[-1]["changes"]["visibility"] == ["private", "shared-read"]
    assert _cli(app, "banks", "sharing", "cli-list", "--owner", "nobody").exit_code != 0
    assert "owned by staff" in _cli(app, "banks", "sharing", "cli-list", "--staff").output

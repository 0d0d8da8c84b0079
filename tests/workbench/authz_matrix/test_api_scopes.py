"""The authorisation matrix for API keys: every /api/v1 endpoint needs the one scope
expectations.API_SCOPES names. Each endpoint × method is called with a key that has every
scope but that one (403 insufficient_scope, nothing written) and with a key that has only
that one (never 401/403, never a 5xx)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from tests.workbench.authz_matrix.expectations import API, API_SCOPES, EXPECTATIONS
from tests.workbench.authz_matrix.test_matrix import _rules, _url
from workbench.extensions import db
from workbench.services.platforms.scopes import SCOPES


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_api_endpoint_lists_the_scope_its_route_requires(app):
    api_endpoints = {endpoint for endpoint, requirement in EXPECTATIONS.items() if requirement == API}
    assert set(API_SCOPES) == api_endpoints, "every API endpoint needs one row in API_SCOPES, and only those"
    for endpoint, scope in API_SCOPES.items():
        assert scope in SCOPES, f"{endpoint}: {scope!r} is not in workbench/services/platforms/scopes.py"
        declared = getattr(app.view_functions[endpoint], "required_scope", None)
        assert declared == scope, f"{endpoint} requires {declared!r}, the table says {scope!r}"
    assert set(API_SCOPES.values()) == set(SCOPES), "a scope no route needs"


def _scoped_world(app) -> dict:
    """A key with only one scope and a key with all but that one, for every scope; a bank the
    banks:write key owns and staff shared, so both bank keys reach it."""
    from tests.support.factories import make_api_key
    from workbench.models import ApiClient, HashBank

    only = {scope: make_api_key(app, f"only-{scope}", [scope]) for scope in SCOPES}
    all_but = {scope: make_api_key(app, f"all-but-{scope}", [s for s in SCOPES if s != scope]) for scope in SCOPES}
    with app.app_context():
        owner = db.session.scalar(select(ApiClient.id).where(ApiClient.name == "only-banks:write"))
        bank = HashBank(name="matrix scoped bank", kind="spam", owner_client_id=owner, visibility="shared-read")
        db.session.add(bank)
        db.session.commit()
        bank_id = bank.id
    return {"only": only, "all_but": all_but, "bank": bank_id}


def _counts(app) -> dict:
    from workbench.models import AuditEvent, BankEntry, HashBank, Item, Report

    with app.app_context():
        return {
            model.__name__: db.session.scalar(select(func.count()).select_from(model))
            for model in (AuditEvent, BankEntry, HashBank, Item, Report)
        }


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_each_api_endpoint_refuses_a_key_without_its_scope_and_serves_one_with_it(app):
    world = _scoped_world(app)
    client = app.test_client()
    values = {"item_id": 1, "appeal_id": 1, "bank_id": world["bank"], "entry_id": 1, "import_id": 424242}
    before = _counts(app)
    failures, cells = [], 0
    for rule in _rules(app):
        if EXPECTATIONS[rule.endpoint] != API:
            continue
        scope, url = API_SCOPES[rule.endpoint], _url(rule, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            cells += 1
            refused = client.open(url, method=method, headers={"Authorization": f"Bearer {world['all_but'][scope]}"})
            body = refused.get_json(silent=True) or {}
            if (
                refused.status_code != 403
                or body.get("error", {}).get("code") != "insufficient_scope"
                or scope not in body["error"].get("message", "")
            ):
                failures.append(f"{method} {url} without {scope}: {refused.status_code} {body}")
    assert _counts(app) == before, "a refused call wrote something"
    for rule in _rules(app):
        if EXPECTATIONS[rule.endpoint] != API:
            continue
        scope, url = API_SCOPES[rule.endpoint], _url(rule, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            served = client.open(url, method=method, headers={"Authorization": f"Bearer {world['only'][scope]}"})
            if served.status_code in (401, 403) or served.status_code >= 500:
                failures.append(f"{method} {url} with only {scope}: {served.status_code} {served.get_data()[:200]!r}")
    assert cells >= 25
    assert not failures, f"{len(failures)} of {cells * 2} cells wrong:\n" + "\n".join(failures)

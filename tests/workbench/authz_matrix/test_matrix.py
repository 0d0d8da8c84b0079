"""The authorisation matrix: every endpoint of the URL map × every role (and anonymous, and an
API client) × in and out of the user's region, each cell checked against expectations.py.

Users are scoped to DE; a case and an appeal exist in DE (in region) and in IN (out of
region). GET cells are requested for real; POST cells are checked where the answer must be a
refusal (anonymous, a role without the permission, an object out of region), with a valid
CSRF token so the refusal comes from the permission check, not from CSRF.
"""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from tests.support.auth import csrf_token_from
from tests.workbench.authz_matrix.expectations import API, EXPECTATIONS, LOGIN, LOOPBACK, PUBLIC, REGION_SCOPED
from workbench import settings as workbench_settings
from workbench.extensions import db
from workbench.services.access.permissions import PERMISSIONS

ROLES = tuple(PERMISSIONS)  # moderator, senior_moderator, policy_editor, auditor, legal, admin
ANONYMOUS = "anonymous"
IN_SECRET, OUT_SECRET = "in-region-text-5f1e", "out-of-region-text-9c2d"
MUTATING = {"POST", "PUT", "PATCH", "DELETE"}


def _rules(app):
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint != "static"]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_every_endpoint_has_an_expectation(app):
    missing = sorted({rule.endpoint for rule in _rules(app)} - set(EXPECTATIONS))
    assert not missing, (
        f"endpoints with no row in tests/workbench/authz_matrix/expectations.py (say who may call them): {missing}"
    )
    stale = sorted(set(EXPECTATIONS) - {rule.endpoint for rule in _rules(app)})
    assert not stale, f"expectations for endpoints that no longer exist: {stale}"


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_table_agrees_with_the_decorators(app):
    every_permission = set().union(*PERMISSIONS.values())
    for endpoint, expected in EXPECTATIONS.items():
        if endpoint not in app.view_functions:
            continue
        declared = getattr(app.view_functions[endpoint], "required_permission", None)
        if expected in (PUBLIC, LOGIN, API, LOOPBACK):
            assert declared is None, f"{endpoint} requires {declared}, the table says {expected}"
        else:
            assert expected in every_permission, f"{endpoint}: no role has {expected!r}"
            assert declared == expected, f"{endpoint} requires {declared!r}, the table says {expected!r}"


# --- the world the cells run in ------------------------------------------------------------


def _world(app):
    from tests.support.appeals_qa import decided_item
    from tests.support.factories import make_api_key, make_user
    from tests.workbench.review.helpers import client_id, make_case
    from workbench.models import ApiClient, HashBank

    world = {
        "case": {
            "in": make_case(app, country="DE", language="de", text=IN_SECRET),
            "out": make_case(app, country="IN", language="hi", text=OUT_SECRET),
        }
    }
    cid = client_id(app)
    decider = make_user(app, "matrix-decider", "moderator")
    appeals, samples = {}, {}
    for region, country, language, text in (("in", "DE", "de", IN_SECRET), ("out", "IN", "hi", OUT_SECRET)):
        _, decision_id = decided_item(app, cid, decider_id=decider, country=country, language=language, text=text)
        with app.app_context():
            from workbench.models import Decision
            from workbench.services.qa.reviews import sample_decision

            samples[region] = sample_decision(db.session, db.session.get(Decision, decision_id), rate=1.0).id
            db.session.commit()
            from workbench.services.appeals.complaints import AppealSettings, receive_appeal
            from workbench.services.appeals.submissions import parse_appeal_fields

            submission = parse_appeal_fields(
                {"external_id": f"matrix-{region}", "decision_id": decision_id, "explanation": text},
                max_explanation_chars=5000,
            )
            appeals[region] = receive_appeal(
                db.session,
                client_id=cid,
                submission=submission,
                pseudonym_key=workbench_settings.of(app).pseudonym_key,
                settings=AppealSettings.from_settings(workbench_settings.of(app)),
            ).appeal.id
    world["appeal"], world["sample"] = appeals, samples
    with app.app_context():
        from workbench.models import Case

        world["item"] = {region: db.session.get(Case, case_id).item_id for region, case_id in world["case"].items()}
    world["api_key"] = make_api_key(app, "matrix-platform")
    with app.app_context():
        bank = HashBank(name="matrix bank", kind="csam")
        db.session.add(bank)
        db.session.commit()
        world["bank"] = bank.id
        world["client"] = db.session.scalar(select(ApiClient.id).where(ApiClient.name == "matrix-platform"))
    world["users"] = {
        role: make_user(app, f"matrix-{role}", role, jurisdictions=("DE",), languages=("*",)) for role in ROLES
    }
    return world


def _values(world, region: str) -> dict:
    """A value for every URL parameter; unknown objects get an id that does not exist (the
    permission check comes first, so deny cells are real; allow cells may then be 404)."""
    return {
        "case_id": world["case"][region],
        "appeal_id": world["appeal"][region],
        "bank_id": world["bank"],
        "client_id": world["client"],
        "user_id": world["users"]["moderator"],
        "item_id": world["item"][region],
        "hold_id": 424242,
        "entry_id": 1,
        "import_id": 424242,
        "sample_id": world["sample"][region],
        "delivery_id": 424242,
        "draft_id": 424242,
        "backtest_id": 424242,
        "upload_id": 424242,
        "event_id": 1,
        "run_id": 424242,
        "number": 1,
        "jurisdiction": "DE",
        "queue": "user_reports",
    }


def _url(rule, values: dict) -> str:
    missing = [name for name in rule.arguments if name not in values]
    assert not missing, f"{rule.rule}: add a value for URL parameter(s) {missing} in _values()"
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: str(values[m.group(1)]), rule.rule)


def _clients(app, world):
    from tests.support.accounts import PASSWORD

    clients = {ANONYMOUS: app.test_client()}
    for role in ROLES:
        client = app.test_client()
        page = client.get("/login")
        response = client.post(
            "/login",
            data={
                "username": f"matrix-{role}",
                "password": PASSWORD,
                "csrf_token": csrf_token_from(page.get_data(as_text=True)),
            },
        )
        assert response.status_code == 302, (role, response.status_code)
        clients[role] = client
    return clients


def _token(client) -> str:
    page = client.get("/account/")
    if page.status_code != 200:
        page = client.get("/login")
    return csrf_token_from(page.get_data(as_text=True))


def _sent_to_login(response) -> bool:
    return response.status_code in (301, 302, 303) and "/login" in response.headers.get("Location", "")


def _denied(response) -> bool:
    return response.status_code in (401, 403) or _sent_to_login(response)


def _expect(requirement: str, who: str) -> str:
    """ "allow", "login" (sent to the login page), "403" or "401"."""
    if requirement == PUBLIC:
        return "public"
    if requirement == API:
        return "401"  # sessions never authenticate the API; the key cells are separate
    if requirement == LOOPBACK:
        return "allow"  # the test client is 127.0.0.1
    if who == ANONYMOUS:
        return "login"
    if requirement == LOGIN:
        return "allow"
    return "allow" if requirement in PERMISSIONS[who] else "403"


def _check(response, expected: str, cell: str, failures: list) -> None:
    status = response.status_code
    ok = {
        "allow": not _denied(response) and status < 500,
        # /login/code without a pending sign-in goes back to /login; /healthz is 503 with no workers
        "public": status not in (401, 403, 500),
        "login": _sent_to_login(response),
        "403": status == 403,
        "401": status == 401 and response.is_json and response.json["error"]["code"] == "unauthorized",
    }[expected]
    if not ok:
        failures.append(f"{cell}: expected {expected}, got {status} {response.headers.get('Location', '')}")


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_authorisation_matrix(app):
    world = _world(app)
    clients = _clients(app, world)
    tokens = {who: _token(client) for who, client in clients.items()}
    failures: list[str] = []
    cells = 0
    for rule in _rules(app):
        requirement = EXPECTATIONS[rule.endpoint]
        methods = sorted(rule.methods - {"HEAD", "OPTIONS"})
        for region in ("in", "out"):
            url = _url(rule, _values(world, region))
            for who, client in clients.items():
                for method in methods:
                    expected = _expect(requirement, who)
                    if rule.endpoint in REGION_SCOPED and region == "out" and expected == "allow":
                        expected = "hidden"
                    if method in MUTATING and expected in ("allow", "hidden", "public"):
                        continue  # allowed writes are not performed here; see the region POST test
                    if method == "GET":
                        response = client.get(url)
                    else:
                        response = client.open(url, method=method, data={"csrf_token": tokens[who]})
                    cells += 1
                    cell = f"{method} {url} as {who} ({region} region)"
                    body = response.get_data(as_text=True)
                    if OUT_SECRET in body:
                        failures.append(f"{cell}: shows the out-of-region content")
                    if expected == "hidden":
                        if response.status_code not in (403, 404):
                            failures.append(f"{cell}: expected 403/404, got {response.status_code}")
                    else:
                        _check(response, expected, cell, failures)
    assert cells > 300
    assert not failures, f"{len(failures)} of {cells} cells wrong:\n" + "\n".join(failures)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_api_cells(app):
    """/api/v1: no key → 401 JSON; a session cookie is not a key; a key → served; another
    client's item → 404 (the API's "out of region")."""
    from tests.support.factories import make_api_key, text_item

    world = {"key": make_api_key(app, "api-a"), "other": make_api_key(app, "api-b")}
    client = app.test_client()
    headers = {"Authorization": f"Bearer {world['key']}"}
    created = client.post("/api/v1/items", json=text_item("mine"), headers=headers)
    assert created.status_code == 201
    item_id = created.json["id"]
    values = {"item_id": item_id, "appeal_id": 1, "bank_id": 1, "entry_id": 1, "import_id": 1}
    for rule in _rules(app):
        if EXPECTATIONS[rule.endpoint] != API:
            continue
        url = _url(rule, values)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            anonymous = client.open(url, method=method)
            assert anonymous.status_code == 401 and anonymous.json["error"]["code"] == "unauthorized", url
            bad = client.open(url, method=method, headers={"Authorization": "Bearer wb_nope_nope"})
            assert bad.status_code == 401, url
            if method == "GET":
                assert client.get(url, headers=headers).status_code not in (401, 403, 500), url
    other = client.get(f"/api/v1/items/{item_id}", headers={"Authorization": f"Bearer {world['other']}"})
    assert other.status_code == 404 and "Hallo Welt" not in other.get_data(as_text=True)
    assert client.get(f"/api/v1/items/{item_id}", headers=headers).json["text"] == "Hallo Welt"


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"], indirect=True)
def test_region_scoped_writes_are_refused(app):
    """A DE moderator cannot claim, hold, escalate or decide an IN case (nor read it), and
    a DE senior moderator cannot decide an IN appeal."""
    from workbench.models import Appeal, Case

    world = _world(app)
    clients = _clients(app, world)
    moderator, senior = clients["moderator"], clients["senior_moderator"]
    token = _token(moderator)
    out_case = world["case"]["out"]
    for action in ("claim", "hold", "escalate", "release"):
        response = moderator.post(f"/cases/{out_case}/{action}", data={"csrf_token": token, "reason": "x"})
        assert response.status_code in (302, 403, 404), (action, response.status_code)
        assert OUT_SECRET not in moderator.get(response.headers.get("Location", "/queues")).get_data(as_text=True)
    decide = moderator.post(
        f"/cases/{out_case}/decide",
        data={
            "csrf_token": token,
            "outcome": "remove",
            "rule": "GLOBAL@1:global.reports.user-volume",
            "user_explanation": "no",
            "then": "stay",
        },
    )
    assert decide.status_code in (403, 404, 409, 422) and OUT_SECRET not in decide.get_data(as_text=True)
    api_decide = moderator.post(
        f"/review/api/cases/{out_case}/decide", json={"outcome": "remove"}, headers={"X-CSRFToken": token}
    )
    assert api_decide.status_code in (400, 403, 404, 409, 422) and OUT_SECRET not in api_decide.get_data(as_text=True)
    appeal_post = senior.post(
        f"/appeals/{world['appeal']['out']}", data={"csrf_token": _token(senior), "outcome": "overturn", "reply": "ok"}
    )
    assert appeal_post.status_code in (403, 404)
    with app.app_context():
        case = db.session.get(Case, out_case)
        assert case.status == "open" and case.claimed_by_user_id is None
        assert db.session.get(Appeal, world["appeal"]["out"]).status == "open"

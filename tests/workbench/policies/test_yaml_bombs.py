"""Issue 16, finding 4: YAML alias bombs and oversized packs against the real policy editor.

Each is answered with a validation error naming the line (JSON 4xx or a form error), is never
stored, and never expands: the library stops at its alias bound (tests/policies/test_yaml_limits.py
checks the counters)."""

from __future__ import annotations

import pytest

from policies import DEFAULT_LIMITS
from tests.policies.test_yaml_limits import alias_line, billion_laughs
from tests.support.auth import csrf_token_from
from tests.support.policies import rows
from workbench.extensions import db
from workbench.models import AuditEvent, PolicyDraft, PolicyVersion
from workbench.services.policy import packs as policy_packs

BOMB = billion_laughs(7)  # 9**8 = 43 M strings once expanded, from a few hundred bytes
BOMB_LINE, BOMB_COLUMN = alias_line(BOMB)


def _editor(app, auth, client) -> tuple[int, str]:
    """A policy editor signed in, with a fresh DE draft; returns its id and CSRF token."""
    with app.app_context():
        policy_packs.ensure_default_packs(db.session)
    auth.login("policy_editor")
    token = csrf_token_from(client.get("/policies/DE").get_data(as_text=True))
    response = client.post("/policies/DE/drafts", data={"csrf_token": token})
    assert response.status_code == 302
    draft_id = int(response.headers["Location"].rstrip("/").rsplit("/", 1)[1])
    return draft_id, csrf_token_from(client.get(response.headers["Location"]).get_data(as_text=True))


def _over_the_byte_limit() -> str:
    """Fewer characters than the form allows, more UTF-8 bytes than the library takes."""
    text = "jurisdiction: DE\nname: " + "é" * (DEFAULT_LIMITS.max_bytes // 2) + "\n"
    assert len(text) <= policy_packs.MAX_PACK_CHARS < len(text.encode())
    return text


def test_validate_answers_a_seven_level_billion_laughs_with_a_json_422_naming_the_line(app, auth, client):
    _, token = _editor(app, auth, client)
    response = client.post(
        "/policies/validate", json={"text": BOMB, "jurisdiction": "DE"}, headers={"X-CSRFToken": token}
    )
    assert response.status_code == 422 and response.is_json
    body = response.get_json()
    assert body["error"]["code"] == "pack_too_complex"
    assert (body["error"]["line"], body["error"]["column"]) == (BOMB_LINE, BOMB_COLUMN)
    assert "too many aliases" in body["error"]["message"]
    assert body["valid"] is False
    assert [(i["line"], i["severity"]) for i in body["issues"]] == [(BOMB_LINE, "error")]


def test_validate_refuses_a_pack_over_the_size_limit_before_parsing_it(app, auth, client):
    _, token = _editor(app, auth, client)
    headers = {"X-CSRFToken": token}
    response = client.post("/policies/validate", json={"text": _over_the_byte_limit()}, headers=headers)
    assert response.status_code == 413 and response.get_json()["error"]["code"] == "pack_too_large"
    assert response.get_json()["issues"][0]["line"] == 2
    assert "document larger than" in response.get_json()["error"]["message"]
    huge = client.post(
        "/policies/validate",
        data=b'{"text": "' + b"x" * (8 * DEFAULT_LIMITS.max_bytes) + b'"}',
        content_type="application/json",
        headers=headers,
    )
    assert huge.status_code == 413 and huge.get_json()["error"]["code"] == "pack_too_large"


@pytest.mark.parametrize(
    "text,limit_line", [(BOMB, BOMB_LINE), (_over_the_byte_limit(), 2)], ids=["billion-laughs", "over-the-byte-limit"]
)
def test_saving_a_bomb_or_oversized_draft_is_a_form_error_and_writes_nothing(app, auth, client, text, limit_line):
    draft_id, token = _editor(app, auth, client)
    before = rows(app, PolicyDraft, id=draft_id)[0]
    events_before = len(rows(app, AuditEvent))

    response = client.post(f"/policies/DE/drafts/{draft_id}", data={"csrf_token": token, "text": text})
    assert response.status_code == 422
    html = response.get_data(as_text=True)
    assert f'<p class="error" role="alert">Not saved: line {limit_line}, column' in html

    after = rows(app, PolicyDraft, id=draft_id)[0]
    assert (after.text, after.sha256, after.updated_at) == (before.text, before.sha256, before.updated_at)
    assert len(rows(app, AuditEvent)) == events_before


def test_a_bomb_stored_before_the_limits_existed_shows_its_error_and_cannot_be_published(app, auth, client):
    draft_id, token = _editor(app, auth, client)
    with app.app_context():  # a row written by an older version of the workbench
        draft = db.session.get(PolicyDraft, draft_id)
        draft.text = BOMB
        db.session.commit()
    page = client.get(f"/policies/DE/drafts/{draft_id}")
    assert page.status_code == 200
    assert f"line {BOMB_LINE}, column {BOMB_COLUMN}" in page.get_data(as_text=True)
    published = client.post(f"/policies/DE/drafts/{draft_id}/publish", data={"csrf_token": token, "note": "x"})
    assert published.status_code == 422 and "Not published" in published.get_data(as_text=True)
    diff = client.get(f"/policies/DE/diff?from=v1&to=draft-{draft_id}")
    assert diff.status_code == 200 and "too many aliases" in diff.get_data(as_text=True)
    backtest = client.post(
        f"/policies/DE/drafts/{draft_id}/backtests", data={"csrf_token": token, "scope": "last_n", "last_n": "10"}
    )
    assert backtest.status_code == 422
    assert [v.number for v in rows(app, PolicyVersion, jurisdiction="DE")] == [1]


def test_the_cli_refuses_a_bomb_with_its_line(app, tmp_path):
    with app.app_context():
        policy_packs.ensure_default_packs(db.session)
    path = tmp_path / "bomb.yaml"
    path.write_text(BOMB)
    result = app.test_cli_runner().invoke(args=["policies", "publish", str(path), "--note", "x"])
    assert result.exit_code != 0
    assert f"{path}:{BOMB_LINE}:{BOMB_COLUMN}: too many aliases" in result.output

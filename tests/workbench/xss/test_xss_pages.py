"""Hostile text everywhere a user or platform can put it, then every page that shows it, in
the real browser: no script runs, no dialog opens, the text is shown as text, and every page
carries the Content-Security-Policy header."""

from __future__ import annotations

import pytest

from tests.support.browser import chromium_page, live_server
from tests.support.factories import make_api_key, make_user, text_item
from workbench import settings as workbench_settings
from workbench.extensions import db

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PAYLOADS = (
    "<script>window.__xss=1</script>",
    '"><img src=x onerror="window.__xss=2">',
    '\'><svg onload="window.__xss=3">',
    "<svg><script>window.__xss=4</script></svg>",
    "javascript:window.__xss=5//",
    '<a href="javascript:window.__xss=6" id=xss-link>x</a>',
    "{{7*7}}${7*7}{% raw %}",
    '</textarea></title><script>document.title="XSS"</script>',
    '" autofocus onfocus="window.__xss=7" x="',
)
HOSTILE = " ".join(PAYLOADS)  # 300-odd characters: fits every field's limit
VISIBLE_MARK = "{{7*7}}"  # survives as literal text; "49" would mean template injection
PASSWORD = "correct horse battery"


def _plant(app, api) -> dict:
    """Hostile text as item text (API), report reason, appeal text, escalation reason,
    decision note and explanation, bank name and note, and a user's username."""
    from sqlalchemy import select

    from tests.support.appeals_qa import decided_item
    from tests.workbench.review.helpers import make_case, user
    from workbench.models import ApiClient, HashBank
    from workbench.services.appeals.complaints import AppealSettings, receive_appeal
    from workbench.services.appeals.submissions import parse_appeal_fields
    from workbench.services.review import case_actions, claims
    from workbench.services.review.decisions import decide_case

    key = make_api_key(app, "review-tests")  # make_case's client: its items take this key's reports
    headers = {"Authorization": f"Bearer {key}"}
    client = app.test_client()
    assert client.post("/api/v1/items", json=text_item("xss-item", text=HOSTILE), headers=headers).status_code == 201
    shown = make_case(app, country="DE", text=HOSTILE, author=HOSTILE)
    escalated = make_case(app, country="DE", text=HOSTILE)
    decided = make_case(app, country="DE", text=HOSTILE)
    with app.app_context():
        item_id = db.session.get(__import__("workbench.models", fromlist=["Case"]).Case, shown).item_id
    report = client.post(
        "/api/v1/reports",
        headers=headers,
        json={
            "item_id": item_id,
            "source": "user",
            "category": "harassment",
            "explanation": HOSTILE,
            "reporter": {"name": HOSTILE[:250]},
        },
    )
    assert report.status_code == 201, report.json
    moderator = user(app, "xss-moderator")
    with app.app_context():
        claims.claim_case(db.session, escalated, moderator, settings=workbench_settings.current())
        case_actions.escalate(db.session, escalated, moderator, HOSTILE)
        claims.claim_case(db.session, decided, moderator, settings=workbench_settings.current())
        from tests.workbench.review.helpers import decision_kwargs

        decision = decide_case(
            db.session,
            decided,
            moderator,
            **decision_kwargs(internal_note=HOSTILE, user_explanation=HOSTILE),
            settings=workbench_settings.current(),
        )
        from workbench.services.qa.reviews import sample_decision

        sample_id = sample_decision(db.session, db.session.merge(decision), rate=1.0).id
        db.session.commit()
        cid = db.session.scalar(select(ApiClient.id).where(ApiClient.name == "review-tests"))
        bank = HashBank(name=HOSTILE[:100], kind="csam", description=HOSTILE)
        db.session.add(bank)
        db.session.commit()
        bank_id = bank.id
    _, decision_id = decided_item(app, cid, decider_id=moderator.id, text=HOSTILE)
    with app.app_context():
        submission = parse_appeal_fields(
            {
                "external_id": "xss-appeal",
                "decision_id": decision_id,
                "explanation": HOSTILE,
                "complainant": {"name": HOSTILE[:250]},
            },
            max_explanation_chars=5000,
        )
        appeal_id = receive_appeal(
            db.session,
            client_id=cid,
            submission=submission,
            pseudonym_key=workbench_settings.of(app).pseudonym_key,
            settings=AppealSettings.from_settings(workbench_settings.of(app)),
        ).appeal.id
    return {
        "cases": [shown, escalated, decided],
        "appeal": appeal_id,
        "bank": bank_id,
        "qa": sample_id,
        **_plant_policy(app),
    }


def _plant_policy(app) -> dict:
    """A published DE version whose pack name, changelog, rule description and publish note are
    hostile, and an open draft whose (invalid) text is hostile too."""
    import json

    from tests.support.factories import TEST_ACTOR
    from workbench.services.policy import packs

    quoted = json.dumps(HOSTILE)  # a YAML double-quoted scalar
    with app.app_context():
        pack = packs.get_pack(db.session, "DE")
        base = packs.current_version(db.session, pack).text
        text = base.replace("\nname: Germany\n", f"\nname: {json.dumps(HOSTILE[:190])}\n", 1)
        text = text.replace("\nchangelog: Default pack shipped with the workbench.\n", f"\nchangelog: {quoted}\n", 1)
        assert text != base
        version = packs.publish_text(db.session, "DE", text, TEST_ACTOR, note=HOSTILE)
        draft = packs.create_draft(db.session, pack, TEST_ACTOR)
        packs.save_draft(
            db.session, draft, text + f"\n  - id: {quoted}\n    description: {quoted}\n    broken: [", TEST_ACTOR
        )
        return {"version": version.number, "draft": draft.id}


def _pages(app, planted: dict) -> dict[str, list[str]]:
    """role → the pages to visit: every GET page without parameters, plus the planted objects."""
    from workbench.services.access.permissions import PERMISSIONS

    plain = sorted(
        rule.rule
        for rule in app.url_map.iter_rules()
        if "GET" in rule.methods
        and not rule.arguments
        and not rule.rule.startswith(("/api/", "/static"))
        and rule.rule not in ("/metrics", "/healthz", "/login/code")
    )
    by_endpoint = {rule.rule: rule.endpoint for rule in app.url_map.iter_rules()}
    pages = {}
    for role in ("senior_moderator", "admin", "auditor", "policy_editor"):
        allowed = []
        for path in plain:
            required = getattr(app.view_functions[by_endpoint[path]], "required_permission", None)
            if required is None or required in PERMISSIONS[role]:
                allowed.append(path)
        pages[role] = allowed
    pages["senior_moderator"] += [f"/cases/{case_id}" for case_id in planted["cases"]]
    pages["senior_moderator"] += [
        "/queues/user_reports",
        "/queues/escalated",
        f"/appeals/{planted['appeal']}",
        f"/qa/{planted['qa']}",
    ]
    pages["admin"] += [f"/banks/{planted['bank']}", f"/banks/{planted['bank']}/edit"]
    pages["policy_editor"] += [
        "/policies/DE",
        f"/policies/DE/versions/{planted['version']}",
        f"/policies/DE/drafts/{planted['draft']}",
        "/policies/DE/diff",
    ]
    return pages


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_hostile_text_never_runs(app, api, tmp_path):
    planted = _plant(app, api)
    pages = _pages(app, planted)
    for role in pages:
        make_user(app, f"xss-{role}", role, PASSWORD)
    failures, visited, shown_on = [], 0, []
    with live_server(app) as base_url, chromium_page() as page:
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        for role, paths in pages.items():
            page.context.clear_cookies()
            page.goto(f"{base_url}/login")
            page.fill("input[name=username]", f"xss-{role}")
            page.fill("input[name=password]", PASSWORD)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base_url}/")
            for path in paths:
                response = page.goto(base_url + path)
                visited += 1
                where = f"{path} as {role}"
                if response is None or response.status >= 500:
                    failures.append(f"{where}: status {response and response.status}")
                    continue
                if "default-src 'self'" not in (response.headers.get("content-security-policy") or ""):
                    failures.append(f"{where}: no Content-Security-Policy header")
                for link in page.locator("a[href^='javascript:']").all():
                    failures.append(f"{where}: a javascript: link became markup: {link.get_attribute('href')}")
                page.wait_for_timeout(50)  # onerror/onload handlers fire after load
                ran = page.evaluate("[window.__xss, document.title]")
                if ran[0] is not None or ran[1] == "XSS":
                    failures.append(f"{where}: a payload ran ({ran})")
                text = page.locator("body").inner_text() + page.evaluate(
                    "Array.from(document.querySelectorAll('textarea')).map(t => t.value).join(' ')"
                )
                if VISIBLE_MARK in text:
                    shown_on.append(path)
                if "49$" in text or "${49}" in text:
                    failures.append(f"{where}: a template expression was evaluated")
            page.screenshot(path=str(tmp_path / f"{role}.png"), full_page=True)
    assert not failures and not dialogs, "\n".join(failures + [f"dialog: {d}" for d in dialogs])
    assert visited >= 20
    # the hostile text is shown, as text, where it belongs
    for path in [f"/cases/{case_id}" for case_id in planted["cases"]] + [
        f"/appeals/{planted['appeal']}",
        f"/qa/{planted['qa']}",
        f"/policies/DE/versions/{planted['version']}",
        f"/policies/DE/drafts/{planted['draft']}",
    ]:
        assert path in shown_on, f"the payload is not visible as text on {path} (shown on {sorted(set(shown_on))})"

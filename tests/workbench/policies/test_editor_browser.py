"""The policy editor in a real browser: inline validation as you type, the backtest progress bar,
and no script or style blocked by the Content-Security-Policy."""

from __future__ import annotations

import os

import pytest

from tests.support.browser import chromium_page, live_server
from tests.support.factories import make_user
from tests.support.policies import stored_item
from workbench.extensions import db

pytestmark = pytest.mark.browser
SHOTS = os.environ.get("WORKBENCH_SCREENSHOTS")  # a folder to keep the screenshots in, when set


def shot(page, tmp_path, name: str) -> None:
    page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
    if SHOTS:
        page.screenshot(path=os.path.join(SHOTS, f"{name}.png"), full_page=True)


@pytest.mark.slow
@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_inline_validation_and_backtest_progress(app, tmp_path):
    from workbench.models import Backtest
    from workbench.services.policy.backtests import run_backtest
    from workbench.services.policy.packs import ensure_default_packs

    with app.app_context():
        ensure_default_packs(db.session)
    for index in range(5):
        stored_item(app, "DE", signals={"identity_attack": 0.6 + index / 10}, reports=[("user", "illegal_hate_speech")])
    make_user(app, "petra", "policy_editor", "a long passphrase")
    with live_server(app) as base_url, chromium_page() as page:
        blocked = []
        page.on(
            "console",
            lambda message: blocked.append(message.text) if "Content Security Policy" in message.text else None,
        )
        page.goto(f"{base_url}/login")
        page.fill("input[name=username]", "petra")
        page.fill("input[name=password]", "a long passphrase")
        page.click("button[type=submit]")
        page.goto(f"{base_url}/policies/DE")
        page.click("text=New draft from version 1")
        page.wait_for_selector("#text")

        text = page.input_value("#text")
        broken_line = text.split("\n").index('        - signal: "identity_attack >= 0.8"') + 1
        page.fill("#text", text.replace('"identity_attack >= 0.8"', '"identity_attack => 0.8"'))
        page.wait_for_selector(f"#issues li[data-line='{broken_line}']")
        assert page.inner_text("#validity") == "1 error(s)"
        assert f"line {broken_line}, column" in page.inner_text("#issues")
        page.click(f"#issues li[data-line='{broken_line}']")
        selected_line = page.evaluate(
            "document.getElementById('text').value"
            ".slice(0, document.getElementById('text').selectionStart).split('\\n').length"
        )
        assert selected_line == broken_line
        shot(page, tmp_path, "policy-editor-error")

        # A billion-laughs text: the endpoint refuses it (422) and the editor lists the refusal's line.
        from tests.policies.test_yaml_limits import alias_line, billion_laughs

        bomb = billion_laughs(7)
        page.fill("#text", bomb)
        page.wait_for_selector(f"#issues li[data-line='{alias_line(bomb)[0]}']")
        assert "too many aliases" in page.inner_text("#issues") and page.inner_text("#validity") == "1 error(s)"

        page.fill("#text", text.replace('"identity_attack >= 0.8"', '"identity_attack >= 0.65"'))
        page.wait_for_selector("#issues li.issue-ok")
        page.click("text=Save draft")
        page.wait_for_selector("text=Draft saved. It has no errors")
        page.fill("input[name=last_n]", "100")
        page.click("text=Run backtest")
        page.wait_for_selector("#progress-bar")
        assert "queued" in page.inner_text("#progress-text")
        with app.app_context():
            backtest_id = db.session.query(Backtest.id).scalar()
            run_backtest(
                db.session, backtest_id, establishments=()
            )  # what the worker does; the page notices by polling
        page.wait_for_selector("text=Hits per rule", timeout=15_000)
        assert page.get_attribute("#progress-bar", "value") == "100"
        assert "de.dsa.hate-speech-notice" in page.inner_text("main")
        shot(page, tmp_path, "policy-backtest")

        sample = page.locator("a[href*='/policies/test?item_id=']").first
        sample.click()
        page.wait_for_selector("text=Test the rules on one item")
        assert "DE draft" in page.inner_text("main")
        shot(page, tmp_path, "policy-test-item")
    assert blocked == []

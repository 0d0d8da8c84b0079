"""The real browser: log in, open a queue, claim with the keyboard, decide with a rule,
land on the next case, see the audit entry."""

from __future__ import annotations

import os

import pytest

from tests.support.browser import chromium_page, live_server
from tests.support.factories import make_user
from tests.workbench.review.helpers import make_case

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_keyboard_review_flow(app, tmp_path):
    shots = os.environ.get("WORKBENCH_SCREENSHOTS") or str(tmp_path)
    first = make_case(app, priority="high", due_in_h=2, text="<script>window.__xss=1</script> buy followers now")
    second = make_case(app, due_in_h=30)
    make_user(app, "maria", "moderator", "a long passphrase", jurisdictions=["DE"], languages=["de"])
    with live_server(app) as base_url, chromium_page() as page:
        problems = []
        # CSP violations and script errors show up here; a missing favicon is no problem.
        page.on(
            "console",
            lambda m: problems.append(m.text)
            if m.type == "error" and not m.text.startswith("Failed to load resource")
            else None,
        )
        page.on(
            "response",
            lambda r: problems.append(f"{r.status} {r.url}")
            if r.status >= 400 and not r.url.endswith("/favicon.ico")
            else None,
        )
        page.on("pageerror", lambda e: problems.append(str(e)))
        page.goto(f"{base_url}/login")
        page.fill("input[name=username]", "maria")
        page.fill("input[name=password]", "a long passphrase")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/")
        page.goto(f"{base_url}/queues")
        page.screenshot(path=os.path.join(shots, "queues.png"), full_page=True)
        page.click("#queues-table a:text('user_reports')")
        page.wait_for_url(f"{base_url}/queues/user_reports")
        page.keyboard.press("?")
        assert page.locator("#shortcut-help").is_visible()
        page.keyboard.press("Escape")
        assert not page.locator("#shortcut-help").is_visible()
        page.keyboard.press("n")  # claim the most urgent case of the queue
        page.wait_for_url(f"{base_url}/cases/{first}")
        assert "<script>window.__xss=1</script>" in page.locator("#item-text").inner_text()
        assert page.evaluate("window.__xss") is None
        assert "left" in page.locator("#countdown").inner_text()  # the deadline counts down
        page.keyboard.press("1")  # the first rule: the one that routed the case
        page.keyboard.press("r")  # remove
        assert page.locator("#outcome-remove").is_checked()
        page.keyboard.press("i")
        page.keyboard.type("Spam ring, same text as 40 other posts.")
        page.keyboard.press("Escape")
        page.keyboard.press("m")
        page.keyboard.type("Your post was removed: spam.")
        page.screenshot(path=os.path.join(shots, "case.png"), full_page=True)
        page.keyboard.press("Control+Enter")  # submit and next
        page.wait_for_url(f"{base_url}/cases/{second}")
        assert "decided: remove" in page.locator(".flash").first.inner_text()
        page.goto(f"{base_url}/cases/{first}")
        history = page.locator("#history").inner_text()
        assert "decision.human" in history and "case.claimed" in history
        page.screenshot(path=os.path.join(shots, "decided.png"), full_page=True)
        assert problems == []

"""The real browser: log in, see the overview with escaped user content, no script runs."""

from __future__ import annotations

import pytest

from tests.support.browser import chromium_page, live_server
from tests.support.factories import make_user, text_item

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_log_in_and_see_the_overview(app, api, tmp_path):
    payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    api.post_json("/items", text_item(external_id=payload))
    make_user(app, "maria", "moderator", "a long passphrase")
    with live_server(app) as base_url, chromium_page() as page:
        dialogs = []
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(f"{base_url}/")
        assert page.url.startswith(f"{base_url}/login")
        page.fill("input[name=username]", "maria")
        page.fill("input[name=password]", "wrong")
        page.click("button[type=submit]")
        assert page.locator(".error").inner_text() == "Wrong username or password."
        page.fill("input[name=username]", "maria")
        page.fill("input[name=password]", "a long passphrase")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/")
        assert "maria · moderator" in page.locator(".topbar").inner_text()
        assert payload in page.locator("table").inner_text()  # shown as text
        assert page.evaluate("window.__xss") is None and dialogs == []
        page.screenshot(path=str(tmp_path / "overview.png"))

"""The real browser: an auditor starts an audit-bundle export, watches it finish (the page's
script polls), and downloads the file whose SHA-256 the page shows."""

from __future__ import annotations

import hashlib

import pytest

from tests.support.browser import chromium_page, live_server
from tests.support.factories import make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_auditor_starts_watches_and_downloads_an_export(app, run_worker, tmp_path):
    make_user(app, "ada", "auditor", "a long passphrase")
    with live_server(app) as base_url, chromium_page() as page:
        page.goto(f"{base_url}/login")
        page.fill("input[name=username]", "ada")
        page.fill("input[name=password]", "a long passphrase")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/")
        page.click("text=Exports")
        page.select_option("select[name=kind]", "audit_bundle")
        page.click("#export-form button[type=submit]")
        page.wait_for_selector("#export-progress[data-status=queued]")
        run_worker()  # a real RQ worker (main thread: it installs signal handlers); the page keeps polling
        page.wait_for_selector("#download", timeout=30_000)  # progress_poll.js reloads once it is done
        shown = page.locator("#export-sha256").inner_text()
        with page.expect_download() as info:
            page.click("#download")
        path = info.value.path()
        with open(path, "rb") as handle:
            assert hashlib.sha256(handle.read()).hexdigest() == shown
        assert info.value.suggested_filename.startswith("audit-bundle-")
        page.screenshot(path=str(tmp_path / "export.png"))
        page.click("text=Audit log")
        page.wait_for_selector("#audit-events")
        assert "export.downloaded" in page.locator("#audit-events").inner_text()
        page.screenshot(path=str(tmp_path / "audit-log.png"), full_page=True)

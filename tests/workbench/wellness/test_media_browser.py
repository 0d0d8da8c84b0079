"""The real browser: media starts blurred and gray, reveals on click, blurs again; CSP holds."""

from __future__ import annotations

import pytest

from tests.support.browser import chromium_page, live_server
from tests.support.factories import make_user

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_a_blurred_image_reveals_on_click(app, tmp_path):
    make_user(app, "maria", "moderator", "a long passphrase")
    with live_server(app) as base_url, chromium_page() as page:
        console = []
        page.on("console", lambda message: console.append(message.text))
        page.goto(f"{base_url}/login?next=/account/wellness")
        page.fill("input[name=username]", "maria")
        page.fill("input[name=password]", "a long passphrase")
        page.click("button[type=submit]")
        page.wait_for_url(f"{base_url}/account/wellness")

        figure = page.locator("figure[data-content-class=violence]")

        def settles_at(expected: str, content_class: str = "violence") -> bool:
            # The filter eases over .12 s: wait until the computed value arrives, then compare.
            page.wait_for_function(
                "([cls, want]) => getComputedStyle(document.querySelector("
                "`figure[data-content-class=${cls}] img`)).filter === want",
                arg=[content_class, expected],
            )
            return True

        assert settles_at("blur(36px) grayscale(1)")
        assert not figure.locator("[data-wb-hide]").is_visible()
        page.screenshot(path=str(tmp_path / "blurred.png"))

        figure.locator("[data-wb-reveal]").click()
        assert settles_at("blur(0px) grayscale(1)")  # revealed, still gray
        figure.locator("[data-wb-colour]").click()
        assert settles_at("blur(0px) grayscale(0)")
        assert figure.locator("[data-wb-colour]").get_attribute("aria-pressed") == "true"
        page.screenshot(path=str(tmp_path / "revealed.png"))
        # The others stay blurred; "Blur again" restores the protective view.
        assert settles_at("blur(36px) grayscale(1)", "nudity")
        figure.locator("[data-wb-hide]").click()
        assert settles_at("blur(36px) grayscale(1)")
        assert not [text for text in console if "Content Security Policy" in text]

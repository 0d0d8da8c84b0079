"""Media preferences: protective defaults, saving per class, and the macro that applies them."""

from __future__ import annotations

import json
import re

from tests.support.accounts import actions, audit_events, log_in, post_form, text_of
from tests.support.factories import TEST_ACTOR, make_user
from workbench.extensions import db
from workbench.models import CONTENT_CLASSES
from workbench.services.wellness.preferences import (
    DEFAULT_PREFS,
    MediaPrefs,
    media_prefs,
    preferences,
    save_preferences,
)


def figures(html: str) -> dict[str, str]:
    """content class → the figure's class attribute, from the preview."""
    return {
        m.group(2): m.group(1)
        for m in re.finditer(r'<figure class="([^"]*)" data-wb-media\s+data-content-class="([^"]+)"', html)
    }


def test_defaults_blur_grayscale_and_mute_everything(app):
    user_id = make_user(app, "ana", "moderator")
    with app.app_context():
        prefs = preferences(db.session, user_id)
        assert list(prefs) == list(CONTENT_CLASSES)
        assert all(p == MediaPrefs(blur=True, grayscale=True, mute=True) for p in prefs.values())
        assert media_prefs(db.session, user_id, "made-up class") == DEFAULT_PREFS
        assert media_prefs(db.session, None, "nudity") == DEFAULT_PREFS


def test_saving_stores_and_audits_only_the_classes_that_changed(app):
    user_id = make_user(app, "ana", "moderator")
    other_id = make_user(app, "ben", "moderator")
    with app.app_context():
        changed = save_preferences(
            db.session,
            user_id,
            {"other": MediaPrefs(blur=False, grayscale=False, mute=True), "nudity": DEFAULT_PREFS},
            TEST_ACTOR,
        )
        assert changed == ["other"]
        assert preferences(db.session, user_id)["other"] == MediaPrefs(False, False, True)
        assert preferences(db.session, user_id)["nudity"] == DEFAULT_PREFS
        assert preferences(db.session, other_id)["other"] == DEFAULT_PREFS
        assert save_preferences(db.session, user_id, {"other": MediaPrefs(False, False, True)}, TEST_ACTOR) == []
    event = audit_events(app, "wellness.")[0]
    assert json.loads(event.payload) == {"content_class": "other", "blur": False, "grayscale": False, "mute": True}


def test_preferences_page_saves_and_the_preview_follows(app, client):
    make_user(app, "ana", "moderator")
    log_in(client, "ana")
    page = text_of(client.get("/account/wellness"))
    assert page.count("checked") == 3 * len(CONTENT_CLASSES)
    assert all("wb-blur" in cls and "wb-gray" in cls for cls in figures(page).values())
    chosen = {f"{name}__{setting}": "y" for name in CONTENT_CLASSES for setting in ("blur", "grayscale", "mute")}
    del chosen["other__blur"], chosen["violence__grayscale"]
    response = post_form(client, "/account/wellness", chosen)
    assert response.status_code == 302
    preview = figures(text_of(client.get("/account/wellness")))
    assert "wb-blur" not in preview["other"] and "wb-gray" in preview["other"]
    assert "wb-blur" in preview["violence"] and "wb-gray" not in preview["violence"]
    assert "wb-blur" in preview["nudity"] and "wb-gray" in preview["nudity"]
    assert sorted(actions(app, "wellness.")) == ["wellness.preferences_changed"] * 2


def test_preferences_need_csrf_and_login(app, client):
    assert client.get("/account/wellness").status_code == 302
    make_user(app, "ana", "moderator")
    log_in(client, "ana")
    assert client.post("/account/wellness", data={"other__blur": ""}).status_code == 400
    assert actions(app, "wellness.") == []


def test_the_macro_renders_static_assets_only_and_escapes(app, client):
    """No inline script or style (the CSP forbids them); the URL and alt text are escaped."""
    make_user(app, "ana", "moderator")
    log_in(client, "ana")
    html = text_of(client.get("/account/wellness"))
    assert '<script src="/static/wellness.js" defer></script>' in html
    assert 'href="/static/wellness.css"' in html
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)", html) and "onclick" not in html
    assert html.count("data-wb-reveal") == len(CONTENT_CLASSES)
    with app.test_request_context():
        from flask import render_template_string

        rendered = render_template_string(
            '{% from "wellness/_media.html" import sensitive_media %}'
            '{{ sensitive_media(src, kind="video", content_class="violence", alt=alt, prefs=prefs) }}',
            src='/x"><script>alert(1)</script>',
            alt="<b>",
            prefs=MediaPrefs(blur=True, grayscale=False, mute=True),
        )
    assert "<script>" not in rendered and "&lt;b&gt;" not in rendered  # (video: no alt attribute)
    assert "muted data-wb-muted" in rendered and 'class="wb-media wb-blur"' in rendered
    assert "data-wb-colour" not in rendered  # no colour toggle when grayscale is off

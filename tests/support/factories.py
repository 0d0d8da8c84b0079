"""Factories for rows the tests need."""

from __future__ import annotations

import io

from PIL import Image

from workbench import settings as workbench_settings
from workbench.audit import Actor
from workbench.extensions import db

TEST_ACTOR = Actor.system("tests")


def make_api_key(app, name: str = "test-platform", scopes=None) -> str:
    """A key with every scope unless `scopes` narrows it (the scope tests choose theirs)."""
    from workbench.services.platforms.clients import create_client
    from workbench.services.platforms.scopes import SCOPES

    with app.app_context():
        return create_client(db.session, name, TEST_ACTOR, SCOPES if scopes is None else scopes).key


def make_user(
    app,
    username: str,
    role: str,
    password: str = "correct horse battery",
    *,
    jurisdictions=("GLOBAL",),
    languages=("*",),
) -> int:
    """A user who sees every case unless the test narrows the scope."""
    from workbench.services.accounts.users import create_user

    with app.app_context():
        return create_user(
            db.session,
            username,
            role,
            password,
            TEST_ACTOR,
            jurisdictions=jurisdictions,
            languages=languages,
            settings=workbench_settings.current(),
        ).id


def image_bytes(fmt: str = "PNG", size=(64, 48), mode: str = "RGB", color=(200, 30, 30)) -> bytes:
    buffer = io.BytesIO()
    Image.new(mode, size, color if mode in ("RGB", "RGBA") else 128).save(buffer, fmt)
    return buffer.getvalue()


def text_item(external_id: str = "post-1", **overrides) -> dict:
    body = {"external_id": external_id, "author_id": "user-42", "country": "DE", "text": "Hallo Welt"}
    body.update(overrides)
    return body

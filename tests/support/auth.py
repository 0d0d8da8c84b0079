"""Logging the test client in as a role, through the real login form (with CSRF)."""

from __future__ import annotations

import re

from tests.support.factories import make_user

_CSRF = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|name="csrf_token" value="([^"]+)"')


def csrf_token_from(html: str) -> str:
    match = _CSRF.search(html)
    if not match:
        raise AssertionError("no CSRF token in the page")
    return match.group(1) or match.group(2)


class AuthHelper:
    def __init__(self, client, app):
        self.client = client
        self.app = app

    def login(self, role: str, username: str | None = None, password: str = "correct horse battery"):
        username = username or f"{role}-user"
        make_user(self.app, username, role, password)
        page = self.client.get("/login")
        token = csrf_token_from(page.get_data(as_text=True))
        return self.client.post("/login", data={"username": username, "password": password, "csrf_token": token})

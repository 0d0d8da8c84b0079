"""Login, CSRF and the security headers every response carries."""

from __future__ import annotations

from flask import Flask
from werkzeug.routing import IntegerConverter

from workbench.extensions import csrf, login_manager
from workbench.web.auth.session_guard import load_session_user

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; style-src 'self'; "
    "script-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
)


class DatabaseIdConverter(IntegerConverter):
    """`<int:...>` capped at BIGINT: a larger id is a 404, not a database overflow (a 500)."""

    def __init__(self, map, fixed_digits=0, min=None, max=2**63 - 1, signed=False):
        super().__init__(map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


def init_app(app: Flask) -> None:
    app.url_map.converters["int"] = DatabaseIdConverter  # before any blueprint adds its rules
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.session_protection = "strong"
    csrf.init_app(app)

    @login_manager.user_loader
    def load_user(user_id: str):
        # "<id>:<session token>", checked against the account and the session's age.
        return load_session_user(user_id)

    @app.after_request
    def set_security_headers(response):
        response.headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        return response

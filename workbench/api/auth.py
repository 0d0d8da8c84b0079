"""Bearer API-key authentication."""

from __future__ import annotations

import functools

from flask import g, request

from workbench.api.errors import ApiError
from workbench.api.rate_limits import enforce_rate_limit
from workbench.extensions import db
from workbench.services.platforms.clients import authenticate
from workbench.services.platforms.scopes import known_scope

ROUTE_SCOPES: dict[str, str] = {}  # view name -> the scope it needs (read by the OpenAPI document)


def require_api_client(scope: str):
    """A valid key that carries `scope` (workbench/services/platforms/scopes.py); else 401 or 403."""
    return functools.partial(_require_api_client, scope=known_scope(scope))


def _require_api_client(view, scope: str):
    ROUTE_SCOPES[view.__name__] = scope

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        header = request.headers.get("Authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key.strip():
            raise ApiError(401, "unauthorized", "send 'Authorization: Bearer <API key>'")
        client = authenticate(db.session, key.strip())
        if client is None:
            raise ApiError(401, "unauthorized", "the API key is invalid or revoked")
        g.api_client = client
        if not client.has_scope(scope):
            raise ApiError(403, "insufficient_scope", f"this API key lacks the '{scope}' scope")
        enforce_rate_limit(client)
        return view(*args, **kwargs)

    wrapper.required_scope = scope  # read by the authorisation-matrix test
    return wrapper

"""Bearer API-key authentication."""
from __future__ import annotations

import functools

from flask import g, request

from workbench.api.errors import ApiError
from workbench.extensions import db
from workbench.services.api_clients import authenticate


def require_api_client(view):
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
        return view(*args, **kwargs)
    return wrapper

"""The client address that login throttling counts.

Without a trusted proxy it is the socket peer; behind N trusted proxies (WORKBENCH_TRUSTED_PROXY_HOPS)
it is the address the outermost of them saw, read from the right of X-Forwarded-For. Entries
further left are written by the client and could be anything, so they are never used.
"""
from __future__ import annotations

from flask import current_app, request


def client_address() -> str:
    hops = int(current_app.config.get("WORKBENCH_TRUSTED_PROXY_HOPS", 0))
    if hops > 0:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.remote_addr or "unknown"

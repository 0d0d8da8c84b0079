"""The client address that login throttling counts, and the throttle itself.

Without a trusted proxy it is the socket peer; behind N trusted proxies (WORKBENCH_TRUSTED_PROXY_HOPS)
it is the address the outermost of them saw, read from the right of X-Forwarded-For. Entries
further left are written by the client and could be anything, so they are never used.

A request carrying X-Forwarded-For while the setting is 0 usually means a proxy nobody told
the workbench about: every client then shares the proxy's address, and one address window
covers everyone. The first such request logs a warning (once per process).
"""

from __future__ import annotations

import logging

from flask import current_app, request

from workbench.extensions import get_redis
from workbench.services.accounts.login_throttle import LoginThrottle, ThrottleSettings
from workbench.settings import current as current_settings
from workbench.settings import of as settings_of

log = logging.getLogger(__name__)
_WARNED = "workbench_forwarded_for_warned"


def client_address() -> str:
    hops = int(current_settings().trusted_proxy_hops)
    if hops > 0:
        forwarded = [part.strip() for part in request.headers.get("X-Forwarded-For", "").split(",") if part.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.remote_addr or "unknown"


def login_throttle() -> LoginThrottle:
    return LoginThrottle(get_redis(), ThrottleSettings.from_settings(current_settings()))


def warn_about_an_unconfigured_proxy() -> None:
    """before_app_request: one warning per process (per app), then a dictionary lookup per request."""
    app = current_app._get_current_object()
    if app.extensions.get(_WARNED) or "X-Forwarded-For" not in request.headers:
        return
    if int(settings_of(app).trusted_proxy_hops) > 0:
        return
    app.extensions[_WARNED] = True
    log.warning(
        "A request arrived with X-Forwarded-For but WORKBENCH_TRUSTED_PROXY_HOPS is 0: if the workbench "
        "runs behind a proxy, every client shares the proxy's address, so login throttling's per-address "
        "limit covers everyone at once. Set WORKBENCH_TRUSTED_PROXY_HOPS to the number of proxies in front "
        "of the workbench (the header is ignored until then)."
    )

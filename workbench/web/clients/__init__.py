"""Admin pages for API clients: webhook URL, the delivery log per attempt, replay."""

from __future__ import annotations

from workbench.web.clients import keys, routes  # noqa: F401  (views register on import)
from workbench.web.clients.blueprint import bp

__all__ = ["bp"]

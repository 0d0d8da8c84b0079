"""Review queues in the web UI: /queues, /cases/<id>, decisions, escalation, hold, bulk.

Keyboard shortcuts live in static/review.js (docs/moderator-guide.md lists them).
"""

from __future__ import annotations

from workbench.web.review import api, routes, video_routes  # noqa: F401  (views register on import)
from workbench.web.review.blueprint import bp

__all__ = ["bp"]

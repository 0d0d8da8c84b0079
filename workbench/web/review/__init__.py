"""Review queues in the web UI: /queues, /cases/<id>, decisions, escalation, hold, bulk.

Keyboard shortcuts live in static/review.js (docs/moderator-guide.md lists them).
"""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("review", __name__)

from workbench.web.review import api, routes, video_routes  # noqa: E402,F401  (routes register on import)

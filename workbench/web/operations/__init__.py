"""/operations: the team leads' dashboard of queue, pipeline and webhook health over time."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("operations", __name__)

from workbench.web.operations import routes  # noqa: E402,F401  (routes register on import)

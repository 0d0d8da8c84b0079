"""QA pages: the QA queue, one sample's second review, and agreement rates for team leads."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("qa", __name__)

from workbench.web.qa import routes  # noqa: E402,F401  (routes register on import)

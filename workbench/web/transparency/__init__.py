"""/transparency: the DSA transparency report figures for a period, with server-side SVG charts."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("transparency", __name__)

from workbench.web.transparency import routes  # noqa: E402,F401  (routes register on import)

"""The REST API's blueprint (/api/v1); its routes are in the modules `workbench.api` imports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("api_v1", __name__, url_prefix="/api/v1")

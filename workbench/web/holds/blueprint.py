"""The `holds` blueprint; its views are in the modules `__init__` imports."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("holds", __name__)

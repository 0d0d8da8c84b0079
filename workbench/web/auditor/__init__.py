"""Pages for auditors: the searchable audit log with inclusion proofs, and exports."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("auditor", __name__)

from workbench.web.auditor import audit_log, exports  # noqa: E402,F401  (routes register on import)

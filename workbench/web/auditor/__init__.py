"""Pages for auditors: the searchable audit log with inclusion proofs, and exports."""

from __future__ import annotations

from workbench.web.auditor import audit_log, exports  # noqa: F401  (views register on import)
from workbench.web.auditor.blueprint import bp

__all__ = ["bp"]

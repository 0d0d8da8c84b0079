"""/operations: the team leads' dashboard of queue, pipeline and webhook health over time."""

from __future__ import annotations

from workbench.web.operations import routes  # noqa: F401  (views register on import)
from workbench.web.operations.blueprint import bp

__all__ = ["bp"]

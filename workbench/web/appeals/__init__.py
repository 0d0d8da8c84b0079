"""Appeal pages for senior moderators: the open appeals, one appeal, and its decision form."""

from __future__ import annotations

from workbench.web.appeals import routes  # noqa: F401  (views register on import)
from workbench.web.appeals.blueprint import bp

__all__ = ["bp"]

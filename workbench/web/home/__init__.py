"""The landing page: pipeline status at a glance."""

from __future__ import annotations

from workbench.web.home import routes  # noqa: F401  (views register on import)
from workbench.web.home.blueprint import bp

__all__ = ["bp"]

"""Wellness pages: a moderator's media preferences, and team leads' view of exposure."""

from __future__ import annotations

from workbench.web.wellness import routes  # noqa: F401  (views register on import)
from workbench.web.wellness.blueprint import bp

__all__ = ["bp"]

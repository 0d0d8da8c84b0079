"""/transparency: the DSA transparency report figures for a period, with server-side SVG charts."""

from __future__ import annotations

from workbench.web.transparency import routes  # noqa: F401  (views register on import)
from workbench.web.transparency.blueprint import bp

__all__ = ["bp"]

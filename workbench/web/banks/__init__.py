"""Hash-bank management: banks, entries, imports and exports, the compare tool."""

from __future__ import annotations

from workbench.web.banks import compare, lists, media, routes  # noqa: F401  (views register on import)
from workbench.web.banks.blueprint import bp

__all__ = ["bp"]

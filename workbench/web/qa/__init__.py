"""QA pages: the QA queue, one sample's second review, and agreement rates for team leads."""

from __future__ import annotations

from workbench.web.qa import routes  # noqa: F401  (views register on import)
from workbench.web.qa.blueprint import bp

__all__ = ["bp"]

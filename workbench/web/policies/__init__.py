"""The policy editor: packs, drafts with inline validation, versions, diff, test, backtest, publish."""

from __future__ import annotations

from workbench.web.policies import routes, tools  # noqa: F401  (views register on import)
from workbench.web.policies.blueprint import bp

__all__ = ["bp"]

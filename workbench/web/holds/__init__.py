"""Evidence on an item: its holds (place, extend, release a manual legal hold) and its reports
to authorities (record the reference of a report made), on the item's page and the case page;
and the register of holds and pending reports across items (/holds)."""

from __future__ import annotations

from workbench.web.holds import register, routes  # noqa: F401  (views register on import)
from workbench.web.holds.blueprint import bp

__all__ = ["bp"]

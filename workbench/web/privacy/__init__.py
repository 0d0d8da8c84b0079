"""Admin pages for GDPR erasure and subject-access requests.

Pseudonyms are per platform, so both forms ask which platform (API client) the person uses.
"""

from __future__ import annotations

from workbench.web.privacy import routes  # noqa: F401  (views register on import)
from workbench.web.privacy.blueprint import bp

__all__ = ["bp"]

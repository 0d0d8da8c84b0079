"""Appeal pages for senior moderators: the open appeals, one appeal, and its decision form."""
from __future__ import annotations

from flask import Blueprint

bp = Blueprint("appeals", __name__)


@bp.record_once
def _install_hooks(state) -> None:
    # The appeal-case guard and QA sampling join the review decision hooks when the app is built.
    from workbench.services.qa import install_hooks
    install_hooks()


from workbench.web.appeals import routes  # noqa: E402,F401  (routes register on import)

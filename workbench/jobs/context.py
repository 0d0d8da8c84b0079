"""The app context every job runs in."""
from __future__ import annotations

import contextlib

from flask import current_app, has_app_context

_standalone_app = None


@contextlib.contextmanager
def job_app_context():
    """Inside `flask worker` the app context exists; under a bare `rq worker` make one (once)."""
    global _standalone_app
    if has_app_context():
        yield current_app
        return
    if _standalone_app is None:
        from workbench import create_app
        _standalone_app = create_app()
    with _standalone_app.app_context():
        yield _standalone_app

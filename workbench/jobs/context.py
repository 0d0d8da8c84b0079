"""The app context every job runs in."""

from __future__ import annotations

import contextlib

from flask import current_app, has_app_context
from flask.cli import ScriptInfo

_standalone_app = None


@contextlib.contextmanager
def job_app_context():
    """Inside `flask worker` the app context exists; under a bare `rq worker` load the app the way
    the `flask` command does (FLASK_APP, else wsgi.py in the working directory), once."""
    global _standalone_app
    if has_app_context():
        yield current_app
        return
    if _standalone_app is None:
        _standalone_app = ScriptInfo().load_app()
    with _standalone_app.app_context():
        yield _standalone_app

"""The workbench's settings: one frozen, typed object built once from the environment.

`create_app` builds it (`Settings.from_env`) and keeps it in `app.extensions`; interface code
and jobs read it with `current()` (or `of(app)`) and hand it, or the values they need, to the
services. Declarations live in fields.py; docs/configuration.md is generated from them:

    python -m workbench.settings > docs/configuration.md
"""

from __future__ import annotations

from typing import Any

from flask import Flask, current_app

from workbench.settings.fields import EXTERNAL, Settings
from workbench.settings.parse import SettingsError, declared

__all__ = ["EXTERNAL", "Settings", "SettingsError", "current", "declared_settings", "defaults", "install", "of"]

EXTENSION = "workbench_settings"
_DEFAULTS = Settings()


def install(app: Flask, settings: Settings) -> None:
    app.extensions[EXTENSION] = settings


def of(app: Flask) -> Settings:
    return app.extensions[EXTENSION]


def current() -> Settings:
    """The running app's settings (interfaces and jobs; services receive them)."""
    return of(current_app)


def defaults() -> Settings:
    """The declared defaults, for code running outside an app (paths are left empty)."""
    return _DEFAULTS


def update(app: Flask, **by_name: Any) -> Settings:
    """Change some of a running app's settings by variable name (tests), validated as at start-up."""
    changed = of(app).with_values(by_name)
    install(app, changed)
    return changed


def declared_settings():
    return declared(Settings)


def names() -> dict[str, str]:
    """Every variable `Settings` reads, current and old names -> the field it sets."""
    found = {}
    for item in declared_settings():
        found[item.env] = item.field
        found.update({old.name: item.field for old in item.spec.old})
    return found


def external_names() -> frozenset[str]:
    """Variables read before the settings exist (or only by tools): documented, not parsed here."""
    return frozenset(external.env for external in EXTERNAL)

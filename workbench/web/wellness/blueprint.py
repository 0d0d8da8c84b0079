"""The `wellness` blueprint; its views are in the modules `__init__` imports."""

from __future__ import annotations

from flask import Blueprint, g
from flask_login import current_user

from workbench.extensions import db
from workbench.services.wellness.preferences import DEFAULT_PREFS, MediaPrefs, content_class_or_other, preferences

bp = Blueprint("wellness", __name__)


@bp.app_template_global("media_prefs_for")
def media_prefs_for(content_class: str | None) -> MediaPrefs:
    """The signed-in user's preferences for a class (the sensitive_media macro calls this)."""
    if not getattr(current_user, "is_authenticated", False):
        return DEFAULT_PREFS
    if "wellness_prefs" not in g:
        g.wellness_prefs = preferences(db.session, current_user.id)  # once per request
    return g.wellness_prefs[content_class_or_other(content_class)]

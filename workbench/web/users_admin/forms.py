"""Forms of the user admin pages (all with CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from workbench.models import ROLES

_ROLE_CHOICES = list(ROLES)
_JURISDICTIONS_HINT = "Country codes (DE, FR), EU, or GLOBAL for every country; separated by commas."
_LANGUAGES_HINT = "ISO 639-1 codes (de, en, pt), or * for any language."


class ScopeFields:
    jurisdictions = StringField(
        "Jurisdictions", validators=[Optional(), Length(max=1000)], description=_JURISDICTIONS_HINT
    )
    languages = StringField("Languages", validators=[Optional(), Length(max=1000)], description=_LANGUAGES_HINT)


class CreateUserForm(FlaskForm, ScopeFields):
    username = StringField("Username", validators=[DataRequired(), Length(max=64)])
    role = SelectField("Role", choices=_ROLE_CHOICES, default="moderator")
    password = PasswordField(
        "Password", validators=[Optional(), Length(max=256)], description="Leave empty for a random one, shown once."
    )


class EditUserForm(FlaskForm, ScopeFields):
    role = SelectField("Role", choices=_ROLE_CHOICES)
    active = BooleanField("Active (may log in)")


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""

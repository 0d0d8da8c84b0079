"""Forms of the account pages (all with CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length


class ChangePasswordForm(FlaskForm):
    current = PasswordField("Current password", validators=[DataRequired(), Length(max=256)])
    new = PasswordField("New password", validators=[DataRequired(), Length(max=256)])
    confirm = PasswordField(
        "New password again", validators=[DataRequired(), EqualTo("new", "The two new passwords differ.")]
    )


class TwoFactorForm(FlaskForm):
    """Turning TOTP on or off: the current password (a session cookie alone is not enough) and a code."""

    password = PasswordField("Current password", validators=[DataRequired(), Length(max=256)])
    code = StringField("Code from your authenticator app", validators=[DataRequired(), Length(max=12)])


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""

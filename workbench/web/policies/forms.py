"""Forms of the policy editor (all with CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from workbench.services.policy.backtests import MAX_LAST_N
from workbench.services.policy.packs import MAX_PACK_CHARS


class NewPackForm(FlaskForm):
    jurisdiction = StringField(
        "Jurisdiction",
        validators=[
            DataRequired(),
            Length(max=6),
            Regexp(r"^\s*(GLOBAL|EU|[A-Za-z]{2})\s*$", message="GLOBAL, EU or a two-letter country code such as FR"),
        ],
    )


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


class DraftForm(FlaskForm):
    text = TextAreaField("Pack YAML", validators=[Length(max=MAX_PACK_CHARS)])


class PublishForm(FlaskForm):
    note = StringField("Why this version", validators=[DataRequired(), Length(max=500)])


class RollbackForm(FlaskForm):
    note = StringField("Why roll back", validators=[Optional(), Length(max=500)])


class BacktestForm(FlaskForm):
    scope = RadioField(
        "Items",
        choices=[
            SelectChoice("last_n", "The last N items the pack applies to"),
            SelectChoice("range", "Items received between"),
        ],
        default="last_n",
    )
    last_n = IntegerField("N", default=10_000, validators=[Optional(), NumberRange(min=1, max=MAX_LAST_N)])
    since = DateField("From (UTC)", validators=[Optional()])
    until = DateField("Until, exclusive (UTC)", validators=[Optional()])

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if self.scope.data == "last_n" and not self.last_n.data:
            self.last_n.errors.append("How many items?")
            return False
        if self.scope.data == "range" and not (self.since.data or self.until.data):
            self.since.errors.append("Give a start or an end date.")
            return False
        if self.since.data and self.until.data and self.since.data >= self.until.data:
            self.until.errors.append("The end must be after the start.")
            return False
        return True

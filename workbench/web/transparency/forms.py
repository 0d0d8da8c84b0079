"""The period form of the transparency page (a GET filter: no CSRF, it changes nothing)."""

from __future__ import annotations

from datetime import timedelta

from flask_wtf import FlaskForm
from wtforms import DateField
from wtforms.validators import DataRequired, ValidationError

from workbench.models.base import utcnow

MAX_DAYS = 366 * 2


def default_period():
    today = utcnow().date()
    return today - timedelta(days=29), today


class PeriodForm(FlaskForm):
    class Meta:
        csrf = False

    date_from = DateField("From (UTC day)", validators=[DataRequired()])
    date_to = DateField("To (UTC day, inclusive)", validators=[DataRequired()])

    def validate_date_to(self, field):
        if self.date_from.data and field.data:
            if field.data < self.date_from.data:
                raise ValidationError("The period ends before it starts.")
            if (field.data - self.date_from.data).days >= MAX_DAYS:
                raise ValidationError(f"Choose a period of at most {MAX_DAYS} days.")

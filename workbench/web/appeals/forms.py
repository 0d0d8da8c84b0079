"""The appeal decision form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

OUTCOME_CHOICES = [
    ("uphold", "Uphold: the decision stays"),
    ("overturn", "Overturn: restore the content (visible, no restriction)"),
]


class AppealDecisionForm(FlaskForm):
    outcome = RadioField("Outcome", choices=OUTCOME_CHOICES, validators=[DataRequired("Choose uphold or overturn.")])
    reply = TextAreaField(
        "Reasons the complainant receives",
        validators=[DataRequired("The complainant must be told the reasons."), Length(max=5000)],
    )
    note = TextAreaField("Internal note", validators=[Optional(), Length(max=5000)])

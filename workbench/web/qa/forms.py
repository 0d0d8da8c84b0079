"""The QA review form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

# What a reviewer may say they would have decided (the review-core outcomes and "restore").
REVIEWER_OUTCOMES = [
    ("", "— (agree: the same outcome)"),
    ("remove", "Remove everywhere"),
    ("geo_restrict", "Restrict in some countries"),
    ("age_restrict", "Age-restrict"),
    ("demote", "Demote"),
    ("label", "Label"),
    ("no_action", "No violation (keep)"),
]


class QaReviewForm(FlaskForm):
    verdict = RadioField(
        "Verdict",
        choices=[("agree", "Agree"), ("disagree", "Disagree")],
        validators=[DataRequired("Choose agree or disagree.")],
    )
    reviewer_outcome = SelectField("Your outcome", choices=REVIEWER_OUTCOMES, validators=[Optional()])
    note = TextAreaField("Note", validators=[Optional(), Length(max=5000)])

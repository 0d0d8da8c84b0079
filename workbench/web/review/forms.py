"""Forms of the case page. Choices are filled per case from the rules that apply to it."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DecimalField, HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from workbench.services.review.decisions import MAX_NOTE, OUTCOME_LABELS

EVERYWHERE = ("", "everywhere", "*", "all", "worldwide")
BULK_CHOICES = [
    ("", "Only this case"),
    ("hash", "Also every open case with the same hash match"),
    ("author", "Also every open case by the same author"),
]


class DecisionForm(FlaskForm):
    rule = SelectField(
        "Rule (the reason)", validators=[DataRequired("Choose the rule the decision rests on.")], validate_choice=False
    )
    outcome = SelectField("Outcome", validators=[DataRequired("Choose an outcome.")], validate_choice=False)
    territorial_scope = StringField(
        "Territorial scope",
        default="everywhere",
        validators=[DataRequired("Give the territorial scope: everywhere, or country codes for a geo-restriction.")],
    )
    internal_note = TextAreaField(
        "Internal note (moderators and auditors only)",
        validators=[DataRequired("Write an internal note."), Length(max=MAX_NOTE)],
    )
    user_explanation = TextAreaField(
        "Explanation the user will receive",
        validators=[DataRequired("Write the explanation the user will receive."), Length(max=MAX_NOTE)],
    )
    bulk = SelectField("Apply to", choices=BULK_CHOICES, default="")
    claim_token = HiddenField()
    # Set by the submit buttons: "next" = submit and take the next case; "stay" = back to the case.
    then = StringField(default="next")

    def fill_choices(self, view) -> None:
        self.rule.choices = [(r.key, f"{r.jurisdiction} v{r.pack_version} · {r.rule_id}") for r in view.rules]
        self.outcome.choices = [(o, OUTCOME_LABELS.get(o, o)) for o in view.outcomes]

    def scope(self) -> list[str] | None:
        raw = (self.territorial_scope.data or "").strip()
        if raw.lower() in EVERYWHERE:
            return None
        return [part.strip() for part in raw.replace(";", ",").replace(" ", ",").split(",") if part.strip()]


class ReasonForm(FlaskForm):
    reason = TextAreaField("Reason", validators=[DataRequired("Give a reason."), Length(max=500)])
    to = SelectField(
        "To", choices=[("senior_moderator", "Senior moderators"), ("legal", "Legal")], default="senior_moderator"
    )
    hours = DecimalField("Hold for (hours)", default=4, places=1, validators=[Optional(), NumberRange(min=0.1, max=24)])


class NextForm(FlaskForm):
    queue = StringField(validators=[Optional(), Length(max=64)])


class PlainForm(FlaskForm):
    """CSRF only: release."""

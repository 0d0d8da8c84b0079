"""Forms of the evidence pages. Times are UTC; the services check them against the clock."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, IntegerField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, NumberRange, Optional, Regexp

from workbench.models.hold import HOLD_ORIGINS
from workbench.services.privacy.holds import MAX_CITATION, MAX_REASON
from workbench.services.review.authority_reports import AUTHORITIES, MAX_REFERENCE
from workbench.services.review.evidence_register import HoldQuery

PERIOD_HELP = "or a period (ISO 8601: P90D, P6M, P1Y)"


def end_of_day(day) -> datetime | None:
    """A date typed as "until" holds through that whole day (UTC)."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=UTC) if day else None


class PlaceHoldForm(FlaskForm):
    reason = TextAreaField(
        "Reason (shown on the item)", validators=[DataRequired("Give a reason."), Length(max=MAX_REASON)]
    )
    citation = StringField(
        "Legal basis (e.g. 18 U.S.C. 2703(f) request ref …)",
        validators=[DataRequired("Give the legal basis."), Length(max=MAX_CITATION)],
    )
    jurisdiction = StringField(
        "Jurisdiction (country code or EU)", validators=[DataRequired("Give the jurisdiction."), Length(max=8)]
    )
    ends_on = DateField("Until (UTC date)", validators=[Optional()])
    period = StringField(PERIOD_HELP, validators=[Optional(), Length(max=16)])


class ExtendHoldForm(FlaskForm):
    ends_on = DateField("New end (UTC date)", validators=[Optional()])
    period = StringField(PERIOD_HELP + ", added to the current end", validators=[Optional(), Length(max=16)])
    reason = StringField("Why", validators=[DataRequired("Say why the hold is extended."), Length(max=MAX_REASON)])


class ReleaseHoldForm(FlaskForm):
    reason = StringField("Why", validators=[DataRequired("Say why the hold is released."), Length(max=MAX_REASON)])


class AuthorityReportForm(FlaskForm):
    authority = SelectField("Authority", choices=[SelectChoice(name, name) for name in AUTHORITIES], default="NCMEC")
    reference = StringField(
        "Report reference (CyberTipline report id)",
        validators=[DataRequired("Give the report's reference."), Length(max=MAX_REFERENCE)],
    )
    reported_at = DateTimeLocalField(
        "Reported at (UTC)", format="%Y-%m-%dT%H:%M", validators=[DataRequired("Give when the report was made.")]
    )

    def reported_at_utc(self) -> datetime:
        return self.reported_at.data.replace(tzinfo=UTC)


class HoldFilterForm(FlaskForm):
    """The register's filters (GET, no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    status = SelectField(
        "Show",
        choices=[
            SelectChoice("active", "active holds"),
            SelectChoice("inactive", "released or ended"),
            SelectChoice("all", "all holds"),
        ],
        default="active",
    )
    origin = SelectField(
        "Origin",
        choices=[SelectChoice("", "any"), *(SelectChoice(origin, origin) for origin in HOLD_ORIGINS)],
        default="",
    )
    jurisdiction = StringField(
        "Jurisdiction",
        validators=[Optional(), Regexp(r"^[A-Za-z]{2,8}$", message="A country code (DE) or a jurisdiction (EU).")],
    )
    within = IntegerField("Ending within (days)", validators=[Optional(), NumberRange(min=1, max=7320)])
    page = IntegerField(validators=[Optional(), NumberRange(min=1, max=100_000)])

    def query(self) -> HoldQuery:
        return HoldQuery(
            status=self.status.data,
            origin=self.origin.data or None,
            jurisdiction=(self.jurisdiction.data or "").upper() or None,
            ending_within_days=self.within.data,
            page=self.page.data or 1,
        )

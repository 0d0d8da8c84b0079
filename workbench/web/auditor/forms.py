"""The audit-log search form (GET, no CSRF: it changes nothing) and the export form."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import DateField, DateTimeLocalField, SelectField, StringField
from wtforms.validators import Length, Optional, Regexp

from workbench.services.exports.runs import EXPORT_KINDS


class AuditSearchForm(FlaskForm):
    class Meta:
        csrf = False

    object_type = StringField("Object type", validators=[Optional(), Length(max=32)])
    object_id = StringField("Object id", validators=[Optional(), Length(max=64)])
    actor = StringField("Actor (type or type:id)", validators=[Optional(), Length(max=81)])
    action = StringField("Action (a trailing * matches a prefix)", validators=[Optional(), Length(max=65)])
    since = DateTimeLocalField("From (UTC)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    until = DateTimeLocalField("Until (UTC)", format="%Y-%m-%dT%H:%M", validators=[Optional()])
    before = StringField(validators=[Optional(), Regexp(r"^\d{1,18}$", message="Not an event id.")])


class ExportForm(FlaskForm):
    kind = SelectField("Export", choices=[(kind.name, kind.label) for kind in EXPORT_KINDS.values()])
    date_from = DateField("First day (UTC)", validators=[Optional()])
    date_to = DateField("Last day (UTC)", validators=[Optional()])

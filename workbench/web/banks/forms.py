"""Forms of the hash-bank pages (all with CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, IntegerField, SelectField, SelectMultipleField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from classifiers.hashing.formats import FORMATS
from workbench.models import BANK_KINDS
from workbench.services.banks.banks import MAX_DESCRIPTION_CHARS, THRESHOLD_LIMITS
from workbench.services.banks.entries import MAX_NOTE_CHARS, MAX_SOURCE_CHARS

ALGORITHM_CHOICES = [("pdq", "PDQ"), ("phash", "pHash"), ("dhash", "dHash"), ("md5", "MD5"), ("sha256", "SHA-256")]
FORMAT_LABELS = {
    "hma_csv": "HMA / pytx CSV",
    "pytx_lines": "pytx lines (<signal_type> <hash>)",
    "te_simple": "ThreatExchange simple (simple.HASH_PDQ.te)",
    "plain": "Plain, one hash per line",
}


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""


VISIBILITY_CHOICES = [
    ("private", "Private: staff only (and the owning platform, if any)"),
    ("shared-read", "Shared: every platform whose key has banks:read may read and export it"),
]


def _owner_id(value):
    return None if value in (None, "", "None") else int(value)


class BankForm(FlaskForm):
    name = StringField("Name", validators=[DataRequired(), Length(max=100)])
    description = TextAreaField("Description", validators=[Optional(), Length(max=MAX_DESCRIPTION_CHARS)])
    kind = SelectField("Kind", choices=[(kind, kind) for kind in BANK_KINDS])
    enabled = BooleanField("Enabled (matched by the pipeline)", default=True)
    pdq_threshold = IntegerField(
        "PDQ threshold (bits of 256)", default=31, validators=[NumberRange(0, THRESHOLD_LIMITS["pdq_threshold"])]
    )
    phash_threshold = IntegerField(
        "pHash threshold (bits of 64)", default=8, validators=[NumberRange(0, THRESHOLD_LIMITS["phash_threshold"])]
    )
    dhash_threshold = IntegerField(
        "dHash threshold (bits of 64)", default=8, validators=[NumberRange(0, THRESHOLD_LIMITS["dhash_threshold"])]
    )
    visibility = SelectField("Platforms", choices=VISIBILITY_CHOICES, default="private")
    # Choices are the API clients, filled in by the route (web/banks/sharing.py).
    owner_client_id = SelectField("Owner", coerce=_owner_id, choices=[("", "Staff")], default="")

    def sharing_values(self) -> dict:
        return {"visibility": self.visibility.data, "owner_client_id": self.owner_client_id.data}

    def values(self) -> dict:
        return {
            "name": self.name.data,
            "description": self.description.data or "",
            "kind": self.kind.data,
            "enabled": bool(self.enabled.data),
            "pdq_threshold": self.pdq_threshold.data,
            "phash_threshold": self.phash_threshold.data,
            "dhash_threshold": self.dhash_threshold.data,
        }


class PasteForm(FlaskForm):
    algorithm = SelectField("Algorithm", choices=[("", "named on each line")] + ALGORITHM_CHOICES, default="pdq")
    hashes = TextAreaField("Hashes, one per line", validators=[DataRequired(), Length(max=200_000)])
    note = StringField("Note", validators=[Optional(), Length(max=MAX_NOTE_CHARS)])
    source = StringField("Source", validators=[Optional(), Length(max=MAX_SOURCE_CHARS)])


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class ImageEntryForm(FlaskForm):
    image = FileField("Picture (hashed, never stored)")
    algorithms = MultiCheckboxField(
        "Hashes to add", choices=ALGORITHM_CHOICES, default=[value for value, _ in ALGORITHM_CHOICES]
    )
    note = StringField("Note", validators=[Optional(), Length(max=MAX_NOTE_CHARS)])
    source = StringField("Source", validators=[Optional(), Length(max=MAX_SOURCE_CHARS)])


class ImportForm(FlaskForm):
    file = FileField("Hash list")
    format = SelectField(
        "Format", choices=[("auto", "detect from the file")] + [(f, FORMAT_LABELS[f]) for f in FORMATS]
    )
    algorithm = SelectField(
        "Algorithm (plain and ThreatExchange files)", choices=[("", "from the file")] + ALGORITHM_CHOICES, default=""
    )
    source = StringField("Source (when the file names none)", validators=[Optional(), Length(max=MAX_SOURCE_CHARS)])


class CompareForm(FlaskForm):
    image_a = FileField("First picture")
    image_b = FileField("Second picture")

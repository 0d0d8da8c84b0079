"""Forms of the video and music parts of a bank page (all with CSRF)."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import DecimalField, IntegerField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from workbench.services.banks.entries import MAX_NOTE_CHARS, MAX_SOURCE_CHARS
from workbench.services.banks.media_entries import MAX_TITLE_CHARS
from workbench.services.banks.media_uploads import VPDQ_LIMITS

# 3600 frames (vPDQ's maximum) of ~75 characters each.
MAX_VPDQ_TEXT_CHARS = 300_000


def _range(name: str) -> NumberRange:
    low, high = VPDQ_LIMITS[name]
    return NumberRange(low, high, message=f"between {low:g} and {high:g}")


class VideoEntryForm(FlaskForm):
    video = FileField("Video (MP4, MOV or WebM; hashed, never stored)")
    vpdq = TextAreaField(
        "…or vPDQ lines (pdqhex,quality,timestamp)", validators=[Optional(), Length(max=MAX_VPDQ_TEXT_CHARS)]
    )
    note = StringField("Note", validators=[Optional(), Length(max=MAX_NOTE_CHARS)])
    source = StringField("Source", validators=[Optional(), Length(max=MAX_SOURCE_CHARS)])


class VpdqSettingsForm(FlaskForm):
    pdq_threshold = IntegerField(
        "PDQ distance per frame (bits of 256; also the bank's picture threshold)",
        validators=[InputRequired(), _range("pdq_threshold")],
    )
    vpdq_quality = IntegerField("Minimum frame quality (0–100)", validators=[InputRequired(), _range("vpdq_quality")])
    vpdq_query_match_pct = DecimalField(
        "Query match % (share of the upload's frames found)",
        places=None,
        validators=[InputRequired(), _range("vpdq_query_match_pct")],
    )
    vpdq_compared_match_pct = DecimalField(
        "Compared match % (share of the bank video's frames found)",
        places=None,
        validators=[InputRequired(), _range("vpdq_compared_match_pct")],
    )

    def values(self) -> dict:
        """Plain numbers for the service (Decimal → float), which checks the ranges again."""
        return {
            name: (float(field.data) if field.data is not None and name.endswith("_pct") else field.data)
            for name in VPDQ_LIMITS
            for field in (getattr(self, name),)
        }


class TrackForm(FlaskForm):
    track = FileField("Track (M4A/MP4 audio, or a video with sound)")
    title = StringField("Title", validators=[InputRequired(), Length(max=MAX_TITLE_CHARS)])
    rights_holder = StringField("Rights holder", validators=[InputRequired(), Length(max=255)])
    territories = StringField(
        "Licensed territories (ISO codes, e.g. DE FR US; empty: nowhere)", validators=[Optional(), Length(max=2000)]
    )
    note = StringField("Note", validators=[Optional(), Length(max=MAX_NOTE_CHARS)])

"""The preferences form: one checkbox per content class and setting."""

from __future__ import annotations

from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField
from wtforms.validators import NumberRange, Optional

from workbench.models import CONTENT_CLASSES
from workbench.services.wellness.preferences import SETTINGS, MediaPrefs

LABELS = {"blur": "Blur until I click", "grayscale": "Grayscale", "mute": "Mute videos"}


class PreferencesForm(FlaskForm):
    def fill(self, prefs: dict[str, MediaPrefs]) -> None:
        for name, chosen in prefs.items():
            for setting in SETTINGS:
                self[field_name(name, setting)].data = getattr(chosen, setting)

    def chosen(self) -> dict[str, MediaPrefs]:
        return {
            name: MediaPrefs(**{s: bool(self[field_name(name, s)].data) for s in SETTINGS}) for name in CONTENT_CLASSES
        }


def field_name(content_class: str, setting: str) -> str:
    return f"{content_class}__{setting}"


for _class in CONTENT_CLASSES:
    for _setting in SETTINGS:
        setattr(PreferencesForm, field_name(_class, _setting), BooleanField(LABELS[_setting]))


class ReportForm(FlaskForm):
    class Meta:
        csrf = False  # a GET filter, it changes nothing

    days = IntegerField("Days", default=14, validators=[Optional(), NumberRange(min=1, max=90)])

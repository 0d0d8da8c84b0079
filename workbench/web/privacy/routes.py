"""Admin pages for GDPR erasure and subject-access requests.

Pseudonyms are per platform, so both forms ask which platform (API client) the person uses.
"""

from __future__ import annotations

import json

from flask import Response, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, Optional, Regexp

from workbench.audit import Actor
from workbench.extensions import db
from workbench.services.blobstore import BlobStore
from workbench.services.privacy.erasure import erase_person
from workbench.services.privacy.subject_access import platforms, subject_access_export
from workbench.settings import current as current_settings
from workbench.web.permissions import require_permission
from workbench.web.privacy.blueprint import bp


def _client_id(value) -> int | None:
    return int(value) if value not in (None, "") else None


class SubjectForm(FlaskForm):
    # No platform is preselected: a request for the wrong platform would erase someone else.
    client_id = SelectField(
        "Platform", coerce=_client_id, validators=[InputRequired(message="Choose the platform.")], validate_choice=True
    )
    user_id = StringField("Platform user id", validators=[Optional(), Length(max=255)])
    email = StringField(
        "Reporter or complainant e-mail",
        validators=[Optional(), Length(max=320), Regexp(r"^[^@\s]+@[^@\s]+$", message="Not an e-mail address.")],
    )

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not (self.user_id.data or self.email.data):
            self.user_id.errors.append("Give a platform user id or an e-mail address.")
            return False
        return True


def _forms(erase_form: SubjectForm | None = None, export_form: SubjectForm | None = None):
    erase_form = erase_form or SubjectForm()
    export_form = export_form or SubjectForm(prefix="x")
    choices = [SelectChoice("", "(choose)")] + [
        SelectChoice(str(client.id), client.name) for client in platforms(db.session)
    ]
    for form in (erase_form, export_form):
        form.client_id.choices = choices
    return erase_form, export_form


@bp.route("/", methods=["GET", "POST"])
@require_permission("privacy.manage")
def erase():
    form, export_form = _forms()
    outcome = None
    if form.validate_on_submit():
        settings = current_settings()
        outcome = erase_person(
            db.session,
            actor=Actor.user(current_user.id),
            pseudonym_key=settings.pseudonym_key,
            blob_store=BlobStore(settings.blob_dir),
            client_id=form.client_id.data,
            platform_user_id=form.user_id.data or None,
            email=form.email.data or None,
            export_dir=settings.export_dir,
        )
    status = 400 if form.is_submitted() and form.errors else 200
    return render_template("privacy/erase.html", form=form, outcome=outcome, export_form=export_form), status


@bp.post("/export")
@require_permission("privacy.manage")
def export():
    form, export_form = _forms(export_form=SubjectForm(prefix="x"))
    if not export_form.validate_on_submit() or not export_form.user_id.data:
        if not export_form.errors:
            export_form.user_id.errors.append("A platform user id is needed for an export.")
        return render_template("privacy/erase.html", form=form, outcome=None, export_form=export_form), 400
    document = subject_access_export(
        db.session,
        pseudonym_key=current_settings().pseudonym_key,
        client_id=export_form.client_id.data,
        platform_user_id=export_form.user_id.data,
    )
    return Response(
        json.dumps(document, indent=2, ensure_ascii=False),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="subject-access.json"'},
    )

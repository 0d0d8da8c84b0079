"""Admin pages for GDPR erasure and subject-access requests."""
from __future__ import annotations

import json

from flask import Blueprint, Response, current_app, render_template
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import StringField
from wtforms.validators import Length, Optional, Regexp

from workbench.audit import Actor
from workbench.authz import require_permission
from workbench.extensions import db
from workbench.services.blobstore import BlobStore
from workbench.services.privacy import erase_person, subject_access_export

bp = Blueprint("privacy", __name__, url_prefix="/admin/privacy")


class SubjectForm(FlaskForm):
    user_id = StringField("Platform user id", validators=[Optional(), Length(max=255)])
    email = StringField("Reporter e-mail", validators=[Optional(), Length(max=320),
                                                      Regexp(r"^[^@\s]+@[^@\s]+$", message="Not an e-mail address.")])

    def validate(self, extra_validators=None) -> bool:
        if not super().validate(extra_validators):
            return False
        if not (self.user_id.data or self.email.data):
            self.user_id.errors.append("Give a platform user id or an e-mail address.")
            return False
        return True


@bp.route("/", methods=["GET", "POST"])
@require_permission("privacy.manage")
def erase():
    form = SubjectForm()
    outcome = None
    if form.validate_on_submit():
        outcome = erase_person(db.session, actor=Actor.user(current_user.id),
                               pseudonym_key=current_app.config["WORKBENCH_PSEUDONYM_KEY"],
                               blob_store=BlobStore(current_app.config["WORKBENCH_BLOB_DIR"]),
                               platform_user_id=form.user_id.data or None, email=form.email.data or None)
    return render_template("privacy/erase.html", form=form, outcome=outcome, export_form=SubjectForm(prefix="x"))


@bp.post("/export")
@require_permission("privacy.manage")
def export():
    form = SubjectForm(prefix="x")
    if not form.validate_on_submit() or not form.user_id.data:
        form.user_id.errors.append("A platform user id is needed for an export.")
        return render_template("privacy/erase.html", form=SubjectForm(), outcome=None, export_form=form), 400
    document = subject_access_export(db.session, pseudonym_key=current_app.config["WORKBENCH_PSEUDONYM_KEY"],
                                     platform_user_id=form.user_id.data)
    return Response(json.dumps(document, indent=2, ensure_ascii=False), mimetype="application/json",
                    headers={"Content-Disposition": 'attachment; filename="subject-access.json"'})

"""Compare two pictures by every algorithm (nothing is stored)."""

from __future__ import annotations

from flask import render_template

from workbench.services.banks.compare import compare_images, thumbnail_data_uri
from workbench.services.intake.images import ImageRejected, image_limits
from workbench.services.validation import ValidationFailed
from workbench.settings import current as current_settings
from workbench.web.banks.blueprint import bp
from workbench.web.banks.forms import CompareForm
from workbench.web.permissions import require_permission


@bp.route("/compare", methods=["GET", "POST"])
@require_permission("banks.view")
def compare():
    form = CompareForm()
    comparison, thumbnails, status = None, None, 200
    if form.validate_on_submit():
        limit = current_settings().max_upload_bytes + 1
        pictures = []
        for field in (form.image_a, form.image_b):
            if not field.data:
                field.errors = ["choose a picture"]
            else:
                pictures.append(field.data.stream.read(limit))
        if len(pictures) == 2:
            try:
                comparison = compare_images(*pictures, limits=image_limits(current_settings()))
                thumbnails = [thumbnail_data_uri(data) for data in pictures]
            except (ImageRejected, ValidationFailed) as exc:
                form.form_errors.append(exc.message)
    if form.errors or form.form_errors:
        status = 400
    return render_template("banks/compare.html", form=form, comparison=comparison, thumbnails=thumbnails), status

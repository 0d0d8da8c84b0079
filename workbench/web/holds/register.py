"""The legal team's register (/holds): evidence holds across the items in the reader's region,
filtered and a page at a time, and the reports to authorities still waiting for a reference."""

from __future__ import annotations

from flask import render_template, request
from flask_login import current_user

from workbench.extensions import db
from workbench.services.access.permissions import user_scope
from workbench.services.review.evidence_register import HOLDS_PER_PAGE, PENDING_SHOWN, evidence_register
from workbench.web.holds.blueprint import bp
from workbench.web.holds.forms import HoldFilterForm
from workbench.web.permissions import require_permission

FILTERS = ("status", "origin", "jurisdiction", "within")


@bp.get("/holds")
@require_permission("holds.manage")
def index():
    form = HoldFilterForm(formdata=request.args)
    if not form.validate():
        return render_template("holds/register.html", form=form, register=None, filters={}), 400
    register = evidence_register(db.session, form.query(), user_scope(current_user))
    # Only the form's own filters go into the paging links (url_for would read "_scheme" and the like).
    filters = {name: request.args[name] for name in FILTERS if request.args.get(name)}
    return render_template(
        "holds/register.html",
        form=form,
        register=register,
        filters=filters,
        per_page=HOLDS_PER_PAGE,
        pending_shown=PENDING_SHOWN,
    )

"""/account/wellness (everyone) and /wellness/exposure (team leads: wellness.team)."""

from __future__ import annotations

from flask import flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required

from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import CONTENT_CLASSES
from workbench.services.wellness.exposure import exposure_report, exposure_today
from workbench.services.wellness.preferences import SETTINGS, preferences, save_preferences
from workbench.settings import current as current_settings
from workbench.web.permissions import require_permission
from workbench.web.wellness.blueprint import bp
from workbench.web.wellness.forms import LABELS, PreferencesForm, ReportForm, field_name


@bp.route("/account/wellness", methods=["GET", "POST"], endpoint="preferences")
@login_required
def preferences_page():
    form = PreferencesForm()
    if form.validate_on_submit():
        changed = save_preferences(db.session, current_user.id, form.chosen(), Actor.user(current_user.id))
        flash(f"Saved: {', '.join(changed)}." if changed else "Nothing changed.")
        return redirect(url_for("wellness.preferences"))
    if request.method == "GET":
        form.fill(preferences(db.session, current_user.id))
    return render_template(
        "wellness/preferences.html",
        form=form,
        classes=CONTENT_CLASSES,
        settings=SETTINGS,
        labels=LABELS,
        field_name=field_name,
        seen_today=exposure_today(current_user),
        budget=current_settings().exposure_budget,
    )


@bp.get("/wellness/exposure")
@require_permission("wellness.team")
def team_exposure():
    form = ReportForm(request.args)
    days = form.days.data if form.validate() and form.days.data else 14
    return render_template(
        "wellness/exposure.html",
        form=form,
        rows=exposure_report(db.session, days=days),
        budget=current_settings().exposure_budget,
        days=days,
    )

"""Admin pages: make an API client with the scopes its key may use, and change them later."""

from __future__ import annotations

from flask import abort, flash, make_response, redirect, render_template, url_for
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import SelectMultipleField, StringField
from wtforms.validators import DataRequired, Length
from wtforms.widgets import CheckboxInput, ListWidget

from workbench.audit import Actor
from workbench.extensions import db
from workbench.models import ApiClient
from workbench.services.platforms.clients import create_client, set_scopes
from workbench.services.platforms.scopes import DEFAULT_SCOPES, SCOPES
from workbench.services.validation import ValidationFailed
from workbench.web.clients.blueprint import bp
from workbench.web.permissions import require_permission

SCOPE_CHOICES = [(scope, f"{scope}: {text}") for scope, text in SCOPES.items()]


class ScopeChecks(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class NewClientForm(FlaskForm):
    name = StringField("Name (the platform)", validators=[DataRequired(), Length(max=100)])
    scopes = ScopeChecks("What the key may do", choices=SCOPE_CHOICES, default=list(DEFAULT_SCOPES))


class ScopesForm(FlaskForm):
    scopes = ScopeChecks("What the key may do", choices=SCOPE_CHOICES)


@bp.route("/new", methods=["GET", "POST"])
@require_permission("clients.manage")
def create():
    form = NewClientForm()
    if form.validate_on_submit():
        try:
            issued = create_client(
                db.session, form.name.data.strip(), Actor.user(current_user.id), form.scopes.data or []
            )
        except ValidationFailed as exc:
            form.name.errors.append(exc.message)
        else:
            # The key is shown on this one answer only: never cached, never stored.
            response = make_response(render_template("clients/created.html", client=issued.client, key=issued.key))
            response.headers["Cache-Control"] = "no-store"
            return response
    return render_template("clients/new.html", form=form), (400 if form.errors else 200)


@bp.route("/<int:client_id>/scopes", methods=["GET", "POST"])
@require_permission("clients.manage")
def scopes(client_id: int):
    client = db.session.get(ApiClient, client_id) or abort(404)
    form = ScopesForm()
    if form.validate_on_submit():
        changed = set_scopes(db.session, client, form.scopes.data or [], Actor.user(current_user.id))
        flash(f"Scopes of {client.name}: {client.scopes or 'none'}." if changed else "Nothing changed.")
        return redirect(url_for("clients.detail", client_id=client.id))
    if not form.is_submitted():
        form.scopes.data = client.scope_list
    return render_template("clients/scopes.html", client=client, form=form), (400 if form.errors else 200)

"""/account: change password, turn TOTP on or off, log out everywhere."""
from __future__ import annotations

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from workbench.audit import Actor
from workbench.extensions import db
from workbench.services import second_factor, totp, users
from workbench.web.account import bp
from workbench.web.account.forms import ActionForm, ChangePasswordForm, CodeForm
from workbench.web.auth.session_guard import keep_session

ENROL_SECRET = "totp_enrol_secret"  # the secret shown until the user confirms a code from it
# What a user who must choose a new password may still reach.
_ALLOWED_WHILE_PASSWORD_EXPIRED = {"account.password", "auth.logout", "auth.login", "static"}


@bp.before_app_request
def require_new_password():
    if request.endpoint in _ALLOWED_WHILE_PASSWORD_EXPIRED or request.path.startswith("/api/") \
            or request.blueprint in ("health", "metrics"):
        return None
    if getattr(current_user, "is_authenticated", False) and current_user.must_change_password:
        return redirect(url_for("account.password"))
    return None


def _actor() -> Actor:
    return Actor.user(current_user.id)


@bp.get("/")
@login_required
def index():
    return render_template("account/index.html", action_form=ActionForm())


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            users.change_password(db.session, current_user, form.current.data, form.new.data, _actor())
        except users.AccountError as exc:
            form.current.errors.append(str(exc))
        except users.PasswordRejected as exc:
            form.new.errors.append(str(exc))
        else:
            keep_session(current_user)  # every other session ended with the old token
            flash("Password changed. Your other sessions were logged out.")
            return redirect(url_for("account.index"))
    return render_template("account/password.html", form=form), (400 if form.errors else 200)


@bp.route("/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    form = CodeForm()
    if current_user.totp_enabled:
        if form.validate_on_submit():
            try:
                second_factor.disable(db.session, current_user, form.code.data, _actor())
            except second_factor.SecondFactorError as exc:
                form.code.errors.append(str(exc))
            else:
                keep_session(current_user)
                flash("Two-factor authentication is off.")
                return redirect(url_for("account.index"))
        return render_template("account/two_factor_on.html", form=form), (400 if form.errors else 200)
    secret = session.get(ENROL_SECRET) or totp.generate_secret()
    session[ENROL_SECRET] = secret
    if form.validate_on_submit():
        try:
            second_factor.enable(db.session, current_user, secret, form.code.data, _actor())
        except second_factor.SecondFactorError as exc:
            form.code.errors.append(str(exc))
        else:
            session.pop(ENROL_SECRET, None)
            keep_session(current_user)
            flash("Two-factor authentication is on. Your other sessions were logged out.")
            return redirect(url_for("account.index"))
    uri = totp.provisioning_uri(secret, current_user.username, current_app.config["WORKBENCH_TOTP_ISSUER"])
    return render_template("account/two_factor_enrol.html", form=form, secret=totp.grouped(secret), uri=uri), \
        (400 if form.errors else 200)


@bp.post("/sessions/revoke")
@login_required
def revoke_sessions():
    if not ActionForm().validate_on_submit():
        return redirect(url_for("account.index"))
    users.revoke_sessions(db.session, current_user, _actor())
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))

"""/account: change password, turn TOTP on or off, log out everywhere."""

from __future__ import annotations

import logging

from flask import flash, redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from workbench.audit import Actor
from workbench.extensions import db
from workbench.services.accounts import reauth, second_factor, totp, totp_secrets, users
from workbench.settings import current as current_settings
from workbench.web.account.blueprint import bp
from workbench.web.account.forms import ActionForm, ChangePasswordForm, TwoFactorForm
from workbench.web.auth.client import client_address, login_throttle
from workbench.web.auth.session_guard import keep_session

log = logging.getLogger(__name__)
# The secret shown until the user confirms a code from it, sealed: the signed cookie is readable.
ENROL_SECRET = "totp_enrol_secret"
# What a user who must choose a new password may still reach.
_ALLOWED_WHILE_PASSWORD_EXPIRED = {"account.password", "auth.logout", "auth.login", "static"}


@bp.before_app_request
def require_new_password():
    if (
        request.endpoint in _ALLOWED_WHILE_PASSWORD_EXPIRED
        or request.path.startswith("/api/")
        or request.blueprint in ("health", "metrics")
    ):
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
            users.change_password(
                db.session,
                current_user,
                form.current.data,
                form.new.data,
                _actor(),
                settings=current_settings(),
                throttle=login_throttle(),
                client=client_address(),
            )
        except reauth.ReauthFailed as exc:
            form.current.errors.append(str(exc))
            if exc.retry_after_s:
                return (
                    render_template("account/password.html", form=form),
                    429,
                    {"Retry-After": str(exc.retry_after_s)},
                )
        except users.PasswordRejected as exc:
            form.new.errors.append(str(exc))
        else:
            keep_session(current_user)  # every other session ended with the old token
            flash("Password changed. Your other sessions were logged out.")
            return redirect(url_for("account.index"))
    return render_template("account/password.html", form=form), (400 if form.errors else 200)


def _enrolment_secret() -> str:
    key, context = totp_secrets.key_from_file(current_settings().totp_key_file), f"enrol:{current_user.id}"
    sealed = session.get(ENROL_SECRET)
    if sealed:
        try:
            return totp_secrets.unseal(key, sealed, context)
        except totp_secrets.TotpKeyError:
            pass  # from another key or account: start a new enrolment
    secret = totp.generate_secret()
    session[ENROL_SECRET] = totp_secrets.seal(key, secret, context)
    return secret


def _two_factor_failed(form, exc: second_factor.SecondFactorError, template: str, **context):
    form[exc.field].errors.append(str(exc))
    headers = {}
    if isinstance(exc, second_factor.SecondFactorUnavailable):
        log.error("Two-factor change of user %s refused: %s", current_user.id, exc.detail)
        status = 503
    elif getattr(exc, "retry_after_s", 0):
        status, headers = 429, {"Retry-After": str(exc.retry_after_s)}
    else:
        status = 400
    return render_template(template, form=form, **context), status, headers


@bp.route("/two-factor", methods=["GET", "POST"])
@login_required
def two_factor():
    form = TwoFactorForm()
    if current_user.totp_enabled:
        if form.validate_on_submit():
            try:
                second_factor.disable(
                    db.session,
                    current_user,
                    form.code.data,
                    _actor(),
                    password=form.password.data,
                    throttle=login_throttle(),
                    client=client_address(),
                    key_file=current_settings().totp_key_file,
                )
            except second_factor.SecondFactorError as exc:
                return _two_factor_failed(form, exc, "account/two_factor_on.html")
            keep_session(current_user)
            flash("Two-factor authentication is off.")
            return redirect(url_for("account.index"))
        return render_template("account/two_factor_on.html", form=form), (400 if form.errors else 200)
    try:
        secret = _enrolment_secret()
    except totp_secrets.TotpKeyError as exc:
        log.error("Two-factor enrolment of user %s refused: %s", current_user.id, exc)
        flash(
            "Two-factor authentication cannot be turned on at the moment (the server's TOTP key is unusable). "
            "Tell an admin."
        )
        return render_template("account/index.html", action_form=ActionForm()), 503
    uri = totp.provisioning_uri(secret, current_user.username, current_settings().totp_issuer)
    page = {"secret": totp.grouped(secret), "uri": uri}
    if form.validate_on_submit():
        try:
            second_factor.enable(
                db.session,
                current_user,
                secret,
                form.code.data,
                _actor(),
                password=form.password.data,
                throttle=login_throttle(),
                client=client_address(),
                key_file=current_settings().totp_key_file,
            )
        except second_factor.SecondFactorError as exc:
            return _two_factor_failed(form, exc, "account/two_factor_enrol.html", **page)
        session.pop(ENROL_SECRET, None)
        keep_session(current_user)
        flash("Two-factor authentication is on. Your other sessions were logged out.")
        return redirect(url_for("account.index"))
    return render_template("account/two_factor_enrol.html", form=form, **page), (400 if form.errors else 200)


@bp.post("/sessions/revoke")
@login_required
def revoke_sessions():
    if not ActionForm().validate_on_submit():
        return redirect(url_for("account.index"))
    users.revoke_sessions(db.session, current_user, _actor())
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))

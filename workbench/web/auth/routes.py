"""Log in (password, then a TOTP code when the account has one), log out."""

from __future__ import annotations

import time
from urllib.parse import urlsplit

from flask import redirect, render_template, request, session, url_for
from flask_login import current_user, login_required, logout_user

from workbench.audit import Actor
from workbench.extensions import db
from workbench.services.accounts.login import attempt_login, attempt_second_factor, log_out
from workbench.services.accounts.login_throttle import wait_message
from workbench.settings import current as current_settings
from workbench.web.auth.blueprint import bp
from workbench.web.auth.client import client_address, login_throttle, warn_about_an_unconfigured_proxy
from workbench.web.auth.forms import LoginForm, TotpForm
from workbench.web.auth.session_guard import start_session

bp.before_app_request(warn_about_an_unconfigured_proxy)
PENDING = "pending_login"  # {user_id, token, started, next} between the password and the code
PENDING_MAX_AGE_S = 300


def _safe_next(target: str | None) -> str:
    # Only same-site paths: never redirect a moderator to another host after login.
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("home.index")


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    if form.validate_on_submit():
        result = attempt_login(
            db.session,
            form.username.data,
            form.password.data,
            hash_method=current_settings().password_hash_method,
            throttle=login_throttle(),
            client=client_address(),
        )
        if result.outcome == "locked":
            return _locked_page("auth/login.html", form, form.password, result.retry_after_s)
        if result.outcome == "totp_required":
            session.clear()
            session[PENDING] = {
                "user_id": result.user.id,
                "token": result.user.session_token,
                "started": int(time.time()),
                "next": _safe_next(request.args.get("next")),
            }
            return redirect(url_for("auth.login_totp"))
        if result.ok:
            start_session(result.user)
            return redirect(_safe_next(request.args.get("next")))
        form.password.errors.append("Wrong username or password.")
    return render_template("auth/login.html", form=form), (401 if form.errors else 200)


def _locked_page(template: str, form, field, retry_after_s: int):
    field.errors.append(wait_message(retry_after_s))
    return render_template(template, form=form), 429, {"Retry-After": str(retry_after_s)}


@bp.route("/login/code", methods=["GET", "POST"])
def login_totp():
    pending = session.get(PENDING)
    if not isinstance(pending, dict) or time.time() - pending.get("started", 0) > PENDING_MAX_AGE_S:
        session.pop(PENDING, None)
        return redirect(url_for("auth.login"))
    form = TotpForm()
    if form.validate_on_submit():
        result = attempt_second_factor(
            db.session,
            pending["user_id"],
            pending["token"],
            form.code.data,
            key_file=current_settings().totp_key_file,
            throttle=login_throttle(),
            client=client_address(),
        )
        if result.outcome == "locked":
            return _locked_page("auth/login_totp.html", form, form.code, result.retry_after_s)
        if result.outcome == "expired":
            session.pop(PENDING, None)
            return redirect(url_for("auth.login"))
        if result.outcome == "unavailable":
            form.code.errors.append(
                "Two-factor codes cannot be checked at the moment. Ask an admin: the server "
                "cannot read your second factor with its current key."
            )
            return render_template("auth/login_totp.html", form=form), 503
        if result.ok:
            start_session(result.user)
            return redirect(pending["next"])
        form.code.errors.append("That code is not valid. Wait for the next one and try again.")
    return render_template("auth/login_totp.html", form=form), (401 if form.errors else 200)


@bp.post("/logout")
@login_required
def logout():
    log_out(db.session, current_user, Actor.user(current_user.id))
    logout_user()
    session.clear()
    return redirect(url_for("auth.login"))

"""Thin routes: parse the form, call one service, render. Errors go back into the form."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user

from workbench.audit import Actor
from workbench.extensions import db, get_redis
from workbench.models import User
from workbench.services.access.scope import ScopeError
from workbench.services.accounts import second_factor, users
from workbench.services.accounts.login_throttle import LoginThrottle, ThrottleSettings
from workbench.settings import current as current_settings
from workbench.web.permissions import require_permission
from workbench.web.users_admin.blueprint import bp
from workbench.web.users_admin.forms import ActionForm, CreateUserForm, EditUserForm


def _actor() -> Actor:
    return Actor.user(current_user.id)


def _user_or_404(user_id: int) -> User:
    user = db.session.get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.get("/")
@require_permission("users.manage")
def index():
    return render_template("users_admin/index.html", users=users.list_users(db.session))


@bp.route("/new", methods=["GET", "POST"])
@require_permission("users.manage")
def create():
    form = CreateUserForm()
    if form.validate_on_submit():
        password = form.password.data or users.generate_password()
        try:
            user = users.create_user(
                db.session,
                form.username.data,
                form.role.data,
                password,
                _actor(),
                settings=current_settings(),
                jurisdictions=form.jurisdictions.data,
                languages=form.languages.data,
                must_change_password=True,
            )
        except ScopeError as exc:
            db.session.rollback()
            form[exc.field].errors.append(str(exc))
        except users.PasswordRejected as exc:
            db.session.rollback()
            form.password.errors.append(str(exc))
        except users.AccountError as exc:
            db.session.rollback()
            form.username.errors.append(str(exc))
        else:
            # The only time this password is shown; the response is never cached (no-store).
            return render_template("users_admin/password_once.html", user=user, password=password, created=True), 201
    return render_template("users_admin/new.html", form=form), (400 if form.errors else 200)


@bp.route("/<int:user_id>", methods=["GET", "POST"])
@require_permission("users.manage")
def edit(user_id: int):
    user = _user_or_404(user_id)
    form = (
        EditUserForm()
        if request.method == "POST"
        else EditUserForm(
            data={
                "role": user.role,
                "active": user.active,
                "jurisdictions": ", ".join(user.jurisdictions or []),
                "languages": ", ".join(user.languages or []),
            }
        )
    )
    if form.validate_on_submit():
        try:
            changed = users.update_account(
                db.session,
                user,
                _actor(),
                role=form.role.data,
                active=form.active.data,
                jurisdictions=form.jurisdictions.data,
                languages=form.languages.data,
            )
        except ScopeError as exc:
            form[exc.field].errors.append(str(exc))
        except users.AccountError as exc:
            form.role.errors.append(str(exc))
        else:
            flash(f"Saved ({', '.join(changed)} changed)." if changed else "Nothing changed.")
            return redirect(url_for("users_admin.edit", user_id=user.id))
    return render_template("users_admin/edit.html", user=user, form=form, action_form=ActionForm()), (
        400 if form.errors else 200
    )


@bp.post("/<int:user_id>/reset-password")
@require_permission("users.manage")
def reset_password(user_id: int):
    user = _user_or_404(user_id)
    password = users.reset_password(db.session, user, _actor(), settings=current_settings())
    return render_template("users_admin/password_once.html", user=user, password=password, created=False)


@bp.post("/<int:user_id>/reset-two-factor")
@require_permission("users.manage")
def reset_two_factor(user_id: int):
    user = _user_or_404(user_id)
    done = second_factor.reset(db.session, user, _actor())
    flash(
        "Two-factor authentication reset: the user logs in with the password alone and may enrol again."
        if done
        else "This user had no second factor."
    )
    return redirect(url_for("users_admin.edit", user_id=user.id))


@bp.post("/<int:user_id>/revoke-sessions")
@require_permission("users.manage")
def revoke_sessions(user_id: int):
    user = _user_or_404(user_id)
    users.revoke_sessions(db.session, user, _actor())
    flash("Every session of this user was logged out.")
    return redirect(url_for("users_admin.edit", user_id=user.id))


@bp.post("/<int:user_id>/unlock")
@require_permission("users.manage")
def unlock(user_id: int):
    user = _user_or_404(user_id)
    throttle = LoginThrottle(get_redis(), ThrottleSettings.from_settings(current_settings()))
    cleared = users.unlock_login(db.session, user, throttle, _actor())
    flash(
        "Failed logins forgotten: the account may log in again."
        if cleared
        else "Redis is unreachable: the lock lifts on its own at the end of its window."
    )
    return redirect(url_for("users_admin.edit", user_id=user.id))

"""The item's evidence page (/items/<id>/evidence) and its forms; the case page's "reported"
form. Each route parses the form, checks the permission and scope, calls one service."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user

from workbench.audit import Actor
from workbench.extensions import db
from workbench.services.privacy.holds import HoldError, HoldNotFound, extend_hold, place_manual_hold, release_hold
from workbench.services.review.authority_reports import (
    AuthorityReportError,
    record_authority_report,
    record_case_report,
)
from workbench.services.review.errors import CaseNotFound
from workbench.services.review.evidence_view import ItemNotFound, evidence_view, visible_item
from workbench.web.holds.blueprint import bp
from workbench.web.holds.forms import AuthorityReportForm, ExtendHoldForm, PlaceHoldForm, ReleaseHoldForm, end_of_day
from workbench.web.permissions import require_permission


def _item(item_id: int):
    try:
        return visible_item(db.session, item_id, current_user)
    except ItemNotFound:
        abort(404)


def _page(item, status: int = 200, failed_hold: int | None = None, **forms):
    forms.setdefault("place_form", PlaceHoldForm(prefix="place"))
    forms.setdefault("extend_form", ExtendHoldForm(prefix="extend"))
    forms.setdefault("release_form", ReleaseHoldForm(prefix="release"))
    forms.setdefault("report_form", AuthorityReportForm(prefix="report"))
    view = evidence_view(db.session, item)
    return render_template("holds/item.html", view=view, item=item, failed_hold=failed_hold, **forms), status


def _field_error(form, error) -> None:
    field = getattr(form, error.field or "", None) or next(iter(form))
    field.errors = list(field.errors or []) + [error.message]


def _done(item_id: int, message: str):
    flash(message)
    return redirect(url_for("holds.item", item_id=item_id))


@bp.get("/items/<int:item_id>/evidence")
@require_permission("items.view")
def item(item_id: int):
    return _page(_item(item_id))


@bp.post("/items/<int:item_id>/holds")
@require_permission("holds.manage")
def place(item_id: int):
    item = _item(item_id)
    form = PlaceHoldForm(prefix="place")
    if form.validate_on_submit():
        try:
            hold = place_manual_hold(
                db.session,
                item,
                Actor.user(current_user.id),
                reason=form.reason.data,
                citation=form.citation.data,
                jurisdiction=form.jurisdiction.data,
                ends_at=end_of_day(form.ends_on.data),
                period=form.period.data or None,
            )
        except HoldError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            return _done(item_id, f"Hold {hold.id} placed until {hold.ends_at:%Y-%m-%d %H:%M} UTC.")
    return _page(item, 400, place_form=form)


@bp.post("/items/<int:item_id>/holds/<int:hold_id>/extend")
@require_permission("holds.manage")
def extend(item_id: int, hold_id: int):
    item = _item(item_id)
    form = ExtendHoldForm(prefix="extend")
    if form.validate_on_submit():
        try:
            hold = extend_hold(
                db.session,
                hold_id,
                Actor.user(current_user.id),
                ends_at=end_of_day(form.ends_on.data),
                period=form.period.data or None,
                reason=form.reason.data,
                item_id=item.id,
            )
        except HoldNotFound:
            abort(404)
        except HoldError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            return _done(item_id, f"Hold {hold.id} extended until {hold.ends_at:%Y-%m-%d %H:%M} UTC.")
    return _page(item, 400, failed_hold=hold_id, extend_form=form)


@bp.post("/items/<int:item_id>/holds/<int:hold_id>/release")
@require_permission("holds.manage")
def release(item_id: int, hold_id: int):
    item = _item(item_id)
    form = ReleaseHoldForm(prefix="release")
    if form.validate_on_submit():
        try:
            hold = release_hold(
                db.session, hold_id, Actor.user(current_user.id), reason=form.reason.data, item_id=item.id
            )
        except HoldNotFound:
            abort(404)
        except HoldError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            return _done(item_id, f"Hold {hold.id} released.")
    return _page(item, 400, failed_hold=hold_id, release_form=form)


@bp.post("/items/<int:item_id>/authority-reports")
@require_permission("holds.manage")
def record_report(item_id: int):
    item = _item(item_id)
    form = AuthorityReportForm(prefix="report")
    if form.validate_on_submit():
        try:
            report = record_authority_report(
                db.session,
                item,
                Actor.user(current_user.id),
                form.authority.data,
                form.reference.data,
                form.reported_at_utc(),
            )
        except AuthorityReportError as error:
            db.session.rollback()
            _field_error(form, error)
        else:
            db.session.commit()
            return _done(item_id, f"Report to {report.authority} recorded ({report.reference}).")
    return _page(item, 400, report_form=form)


@bp.post("/cases/<int:case_id>/authority-report")
@require_permission("cases.decide")
def record_case(case_id: int):
    form = AuthorityReportForm(prefix="report")
    problem = "; ".join(error for errors in form.errors.values() for error in errors) if not form.validate() else None
    if problem is None and form.is_submitted():
        try:
            record_case_report(
                db.session,
                case_id,
                current_user,
                authority=form.authority.data,
                reference=form.reference.data,
                reported_at=form.reported_at_utc(),
            )
        except CaseNotFound:
            abort(404)
        except AuthorityReportError as error:
            db.session.rollback()
            problem = error.message
    if problem:
        flash(f"The report was not recorded: {problem}", "error")
    else:
        flash("Report recorded; the evidence hold now counts from it.")
    return redirect(url_for("review.case", case_id=case_id) + "#evidence")

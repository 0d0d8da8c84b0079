"""Routes of the review UI. Each parses the form, checks the permission, calls one service."""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import or_, select

from workbench.extensions import db
from workbench.models import AuditEvent, Case, CaseStatus, Item
from workbench.services.blobstore import BlobNotFound, BlobStore
from workbench.services.privacy.retention import case_content_purged_at
from workbench.services.review import case_actions, claims
from workbench.services.review.bulk import bulk_targets, decide_bulk
from workbench.services.review.case_view import SAFE_IMAGE_TYPES, case_view, media_for
from workbench.services.review.claims import visible_cases
from workbench.services.review.decisions import decide_case
from workbench.services.review.errors import CaseNotFound, ReviewError
from workbench.services.review.evidence_view import evidence_view
from workbench.services.review.queues import my_cases, queue_overview, urgent_cases
from workbench.services.wellness.exposure import exposure_today, over_budget, record_exposure
from workbench.settings import current as current_settings
from workbench.web.permissions import require_permission
from workbench.web.review.blueprint import bp
from workbench.web.review.forms import DecisionForm, NextForm, PlainForm, ReasonForm
from workbench.web.review.media_headers import private_media


def _near_s() -> int:
    return int(current_settings().near_deadline_s)


def _wellness(user):
    budget = current_settings().exposure_budget
    return {"over": over_budget(user, budget), "seen": exposure_today(user), "budget": budget}


@bp.get("/queues")
@require_permission("cases.decide")
def queues():
    return render_template(
        "review/queues.html",
        queues=queue_overview(db.session, current_user, near_s=_near_s()),
        urgent=urgent_cases(db.session, current_user, near_s=_near_s()),
        mine=my_cases(db.session, current_user),
        next_form=NextForm(),
        wellness=_wellness(current_user),
    )


@bp.get("/queues/<queue>")
@require_permission("cases.decide")
def queue(queue: str):
    rows = db.session.execute(
        select(Case, Item)
        .join(Item, Item.id == Case.item_id)
        .where(Case.status == CaseStatus.OPEN, Case.queue == queue, visible_cases(current_user))
        .order_by(Case.priority_rank, Case.due_at.asc().nulls_last(), Case.id)
        .limit(200)
    ).all()
    form = NextForm(queue=queue)
    return render_template("review/queue.html", queue=queue, rows=rows, next_form=form)


@bp.post("/queues/next")
@require_permission("cases.decide")
def next_case():
    form = NextForm()
    if not form.validate_on_submit():
        abort(400)
    case = claims.claim_next(db.session, current_user, settings=current_settings(), queue=form.queue.data or None)
    if case is None:
        flash("No case waiting in " + (f"queue {form.queue.data}." if form.queue.data else "your queues."))
        return redirect(url_for("review.queue", queue=form.queue.data) if form.queue.data else url_for("review.queues"))
    return redirect(url_for("review.case", case_id=case.id))


def _render_case(case_id: int, form: DecisionForm | None = None, status: int = 200, error: str | None = None):
    try:
        view = case_view(db.session, case_id, current_user, settings=current_settings())
    except CaseNotFound:
        abort(404)
    if form is None:
        form = DecisionForm(claim_token=str(view.case.claim_token))
    form.fill_choices(view)
    if view.blob is not None and view.mine:
        record_exposure(db.session, current_user.id, view.item.id, view.content_class, view.graphic)
        db.session.commit()
    history = db.session.scalars(
        select(AuditEvent)
        .where(
            or_(
                (AuditEvent.object_type == "case") & (AuditEvent.object_id == str(case_id)),
                (AuditEvent.object_type == "decision") & AuditEvent.object_id.in_([str(d.id) for d in view.decisions]),
            )
        )
        .order_by(AuditEvent.id)
    ).all()
    bulk_counts = (
        {by: len(bulk_targets(db.session, case_id, current_user, by)) for by in ("hash", "author")}
        if view.case.is_open
        else {}
    )
    return render_template(
        "review/case.html",
        view=view,
        case=view.case,
        item=view.item,
        form=form,
        reason_form=ReasonForm(),
        next_form=NextForm(),
        plain_form=PlainForm(),
        history=history,
        bulk_counts=bulk_counts,
        error=error,
        wellness=_wellness(current_user),
        safe_image=view.blob is not None and view.blob.mime in SAFE_IMAGE_TYPES,
        evidence=evidence_view(db.session, view.item),
    ), status


@bp.get("/cases/<int:case_id>")
@require_permission("cases.decide")
def case(case_id: int):
    return _render_case(case_id)


@bp.get("/cases/<int:case_id>/media")
@require_permission("cases.decide")
def media(case_id: int):
    """The item's bytes, never from a static path: only for users who may see the case."""
    try:
        blob = media_for(db.session, case_id, current_user)
    except CaseNotFound:
        abort(404)
    if blob is None:
        purged_at = case_content_purged_at(db.session, case_id)
        if purged_at is None:
            abort(404)
        return {
            "error": {"code": "content_purged", "message": f"Content purged under retention on {purged_at:%Y-%m-%d}."}
        }, 410
    try:
        data = BlobStore(current_settings().blob_dir).read(blob.sha256)
    except (BlobNotFound, OSError):
        abort(404)
    safe = blob.mime in SAFE_IMAGE_TYPES
    response = current_app.response_class(data, mimetype=blob.mime if safe else "application/octet-stream")
    return private_media(response, case_id, "inline" if safe else "attachment")


@bp.post("/cases/<int:case_id>/decide")
@require_permission("cases.decide")
def decide(case_id: int):
    form = DecisionForm()
    if not form.validate_on_submit():
        return _render_case(case_id, form, 422, "The decision is incomplete: see the fields marked below.")
    try:
        decide_case(
            db.session,
            case_id,
            current_user,
            settings=current_settings(),
            outcome=form.outcome.data,
            rule=form.rule.data,
            territorial_scope=form.scope(),
            internal_note=form.internal_note.data,
            user_explanation=form.user_explanation.data,
            claim_token=int(form.claim_token.data) if (form.claim_token.data or "").isdigit() else None,
        )
    except ReviewError as exc:
        db.session.rollback()
        if exc.field and exc.field in form:
            form[exc.field].errors = list(form[exc.field].errors) + [exc.message]
        return _render_case(case_id, form, exc.status, exc.message)
    message = f"Case {case_id} decided: {form.outcome.data}."
    if form.bulk.data:
        result = decide_bulk(
            db.session,
            case_id,
            current_user,
            by=form.bulk.data,
            settings=current_settings(),
            outcome=form.outcome.data,
            rule=form.rule.data,
            territorial_scope=form.scope(),
            internal_note=form.internal_note.data,
            user_explanation=form.user_explanation.data,
        )
        message += f" The same decision was recorded on {len(result.decided)} more case(s)"
        message += f"; {len(result.skipped)} skipped." if result.skipped else "."
    flash(message)
    if form.then.data == "stay":
        return redirect(url_for("review.case", case_id=case_id))
    following = claims.claim_next(db.session, current_user, settings=current_settings())
    if following is None:
        flash("No more cases waiting in your queues.")
        return redirect(url_for("review.queues"))
    return redirect(url_for("review.case", case_id=following.id))


def _case_action(case_id: int, action):
    try:
        message = action()
    except ReviewError as exc:
        db.session.rollback()
        flash(exc.message, "error")
        return redirect(url_for("review.case", case_id=case_id))
    flash(message)
    return redirect(url_for("review.queues"))


@bp.post("/cases/<int:case_id>/claim")
@require_permission("cases.decide")
def claim(case_id: int):
    """Claim this very case (from a queue list) if it is free; else explain."""
    if not PlainForm().validate_on_submit():
        abort(400)
    try:
        claims.claim_case(db.session, case_id, current_user, settings=current_settings())
    except ReviewError as exc:
        db.session.rollback()
        flash(exc.message, "error")
    return redirect(url_for("review.case", case_id=case_id))


@bp.post("/cases/<int:case_id>/release")
@require_permission("cases.decide")
def release(case_id: int):
    if not PlainForm().validate_on_submit():
        abort(400)
    return _case_action(
        case_id,
        lambda: case_actions.release(db.session, case_id, current_user) or f"Case {case_id} returned to its queue.",
    )


@bp.post("/cases/<int:case_id>/escalate")
@require_permission("cases.decide")
def escalate(case_id: int):
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("Escalating needs a reason.", "error")
        return redirect(url_for("review.case", case_id=case_id))
    return _case_action(
        case_id,
        lambda: case_actions.escalate(db.session, case_id, current_user, form.reason.data, to=form.to.data)
        and f"Case {case_id} escalated.",
    )


def _hold(case_id: int, reason: str, hours: float):
    return case_actions.hold(db.session, case_id, current_user, reason, settings=current_settings(), hours=hours)


@bp.post("/cases/<int:case_id>/hold")
@require_permission("cases.decide")
def hold(case_id: int):
    form = ReasonForm()
    if not form.validate_on_submit():
        flash("Holding needs a reason.", "error")
        return redirect(url_for("review.case", case_id=case_id))
    hours = float(form.hours.data or 4)
    return _case_action(
        case_id, lambda: f"Case {case_id} held until {_hold(case_id, form.reason.data, hours):%Y-%m-%d %H:%M} UTC."
    )

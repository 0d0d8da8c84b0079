"""/appeals (open appeals), /appeals/next (claim the most urgent), /appeals/<id> (view and decide)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_login import current_user
from sqlalchemy import select

from workbench.extensions import db
from workbench.models import Appeal, AppealStatus, Case, Decision, Item, User
from workbench.services.access.permissions import user_scope
from workbench.services.access.scope import scope_clause
from workbench.services.appeals.complaints import AppealError, AppealNotFound, is_reversed
from workbench.services.appeals.decisions import appeal_for_case, check_can_decide, decide_appeal
from workbench.services.review.claims import claim_next
from workbench.services.validation import ValidationFailed
from workbench.settings import current as current_settings
from workbench.web.appeals.blueprint import bp
from workbench.web.appeals.forms import AppealDecisionForm
from workbench.web.permissions import require_permission


def _visible_or_404(appeal_id: int) -> Appeal:
    appeal = db.session.get(Appeal, appeal_id)
    if appeal is None:
        abort(404)
    try:
        check_can_decide(db.session, current_user, appeal)
    except AppealNotFound:
        abort(404)  # out of the user's scope: the same answer as no such appeal
    except AppealError:
        pass  # the original decider may read the appeal; the form tells them they cannot decide it
    return appeal


@bp.get("/appeals")
@require_permission("appeals.decide")
def index():
    countries, languages = user_scope(current_user)
    rows = db.session.execute(
        select(Appeal, Case)
        .join(Item, Item.id == Appeal.item_id)
        .outerjoin(Case, Case.id == Appeal.case_id)
        .where(Appeal.status == AppealStatus.OPEN, scope_clause(countries, languages, Item.country, Item.language))
        .order_by(Case.due_at.asc().nulls_last(), Appeal.id)
        .limit(200)
    ).all()
    return render_template("appeals/index.html", rows=rows)


@bp.post("/appeals/next")
@require_permission("appeals.decide")
def next_appeal():
    """Claim the most urgent appeal case with the review queues' own claim (lease and audit)."""
    settings = current_settings()
    case = claim_next(db.session, current_user, settings=settings, queue=settings.appeals_queue)
    appeal = appeal_for_case(db.session, case.id) if case is not None else None
    if appeal is None:
        flash("No open appeal in your queues.")
        return redirect(url_for("appeals.index"))
    return redirect(url_for("appeals.show", appeal_id=appeal.id))


@bp.route("/appeals/<int:appeal_id>", methods=["GET", "POST"])
@require_permission("appeals.decide")
def show(appeal_id: int):
    appeal = _visible_or_404(appeal_id)
    form = AppealDecisionForm()
    error = None
    if appeal.is_open and form.validate_on_submit():
        try:
            decide_appeal(
                db.session, appeal.id, current_user, form.outcome.data, reply=form.reply.data, note=form.note.data
            )
        except (AppealError, ValidationFailed) as exc:
            error = str(exc)
        else:
            flash(f"Appeal {appeal.id} decided: {form.outcome.data}.")
            return redirect(url_for("appeals.show", appeal_id=appeal.id))
        appeal = db.session.get(Appeal, appeal_id)
    decision = db.session.get(Decision, appeal.decision_id)
    refusal = None
    try:
        check_can_decide(db.session, current_user, appeal)
    except AppealError as exc:
        refusal = str(exc)
    status = 200 if error is None else 409
    return render_template(
        "appeals/show.html",
        appeal=appeal,
        form=form,
        error=error,
        refusal=refusal,
        decision=decision,
        decider=db.session.get(User, decision.decided_by_user_id) if decision.decided_by_user_id else None,
        item=db.session.get(Item, appeal.item_id),
        case=db.session.get(Case, appeal.case_id) if appeal.case_id else None,
        reversed=is_reversed(db.session, decision.id),
        restore=db.session.get(Decision, appeal.outcome_decision_id) if appeal.outcome_decision_id else None,
        decided_by=db.session.get(User, appeal.decided_by_user_id) if appeal.decided_by_user_id else None,
    ), status

"""/qa (queue), /qa/next (claim a sample), /qa/<id> (second review), /qa/agreement (team leads)."""

from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_login import current_user

from workbench.extensions import db
from workbench.models import Decision, Item, User
from workbench.services.qa.reviews import (
    QaError,
    QaReview,
    QaSampleNotFound,
    agreement_by_moderator,
    agreement_by_rule,
    load_sample,
    next_sample,
    pending_count,
    review_sample,
)
from workbench.settings import current as current_settings
from workbench.web.permissions import require_permission
from workbench.web.qa.blueprint import bp
from workbench.web.qa.forms import QaReviewForm


@bp.get("/qa")
@require_permission("qa.review")
def index():
    return render_template(
        "qa/index.html", pending=pending_count(db.session, current_user), rate=current_settings().qa_sample_rate
    )


@bp.post("/qa/next")
@require_permission("qa.review")
def next_():
    sample = next_sample(db.session, current_user)
    if sample is None:
        flash("No QA sample waiting for you.")
        return redirect(url_for("qa.index"))
    return redirect(url_for("qa.show", sample_id=sample.id))


@bp.route("/qa/<int:sample_id>", methods=["GET", "POST"])
@require_permission("qa.review")
def show(sample_id: int):
    try:
        sample = load_sample(db.session, sample_id, current_user)
    except QaSampleNotFound:
        return render_template("qa/missing.html", sample_id=sample_id), 404
    form = QaReviewForm()
    error = None
    if sample.status == "pending" and form.validate_on_submit():
        try:
            review_sample(
                db.session,
                sample.id,
                current_user,
                QaReview(form.verdict.data, form.reviewer_outcome.data, form.note.data),
            )
        except QaError as exc:
            error = exc.message
        else:
            flash(f"QA sample {sample.id} reviewed: {form.verdict.data}.")
            return redirect(url_for("qa.index"))
        sample = load_sample(db.session, sample_id, current_user)
    decision = db.session.get(Decision, sample.decision_id)
    own = decision.decided_by_user_id is not None and decision.decided_by_user_id == current_user.id
    return render_template(
        "qa/show.html",
        sample=sample,
        form=form,
        error=error,
        own=own,
        decision=decision,
        decider=db.session.get(User, decision.decided_by_user_id) if decision.decided_by_user_id else None,
        reviewer=db.session.get(User, sample.reviewer_user_id) if sample.reviewer_user_id else None,
        item=db.session.get(Item, sample.item_id),
    ), (200 if error is None else 409)


@bp.get("/qa/agreement")
@require_permission("qa.agreement")
def agreement():
    return render_template(
        "qa/agreement.html", by_moderator=agreement_by_moderator(db.session), by_rule=agreement_by_rule(db.session)
    )

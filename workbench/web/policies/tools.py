"""Inline validation, test on one item, backtests and hit rates."""

from __future__ import annotations

from datetime import UTC, datetime, time

from flask import abort, flash, jsonify, redirect, render_template, request, url_for
from werkzeug.exceptions import RequestEntityTooLarge

from policies import PackInvalid
from workbench.extensions import db
from workbench.jobs.policy import enqueue_backtest
from workbench.models import Backtest, PolicyDraft
from workbench.services.policy import packs
from workbench.services.policy.backtest_compare import CATEGORIES
from workbench.services.policy.backtests import BacktestRefused, BacktestRequest, request_backtest
from workbench.services.policy.evaluation import ItemNotFound, explain_item
from workbench.services.policy.runtime import compile_draft
from workbench.services.policy.stats import hit_rates
from workbench.settings import current as current_settings
from workbench.web.permissions import require_permission
from workbench.web.policies.blueprint import bp
from workbench.web.policies.forms import ActionForm, BacktestForm, DraftForm
from workbench.web.policies.routes import current_actor, draft_or_404, pack_or_404, render_draft

# A pack over the library's size limit is refused; its JSON (escapes included) is read only up to this.
MAX_VALIDATE_BODY = 8 * packs.MAX_PACK_CHARS


def _body_too_large():
    return jsonify(
        {
            "error": {
                "code": "pack_too_large",
                "message": f"the request is larger than "
                f"{MAX_VALIDATE_BODY:,} bytes; a pack is at most {packs.MAX_PACK_CHARS:,}",
            }
        }
    ), 413


@bp.post("/validate")
@require_permission("policies.edit")
def validate():
    """JSON for the editor's inline checks: {"text", "jurisdiction"} -> {"valid", "issues"}.

    A text over the YAML limits (size, aliases, values, depth) is a 413 or 422 with an error
    code and the same issues, so the editor lists it like any other problem."""
    if (request.content_length or 0) > MAX_VALIDATE_BODY:
        return _body_too_large()
    request.max_content_length = MAX_VALIDATE_BODY  # also without a Content-Length header
    try:
        body = request.get_json(silent=True)
    except RequestEntityTooLarge:
        return _body_too_large()
    if not isinstance(body, dict) or not isinstance(body.get("text"), str):
        return jsonify({"error": {"code": "bad_request", "message": 'send {"text": "..."}'}}), 400
    jurisdiction = body.get("jurisdiction") if isinstance(body.get("jurisdiction"), str) else None
    report = packs.validate_for_pack(body["text"], jurisdiction)
    if report.limit is None:
        return jsonify(report.to_dict())
    first = report.errors[0]
    code, status = ("pack_too_large", 413) if report.limit == "bytes" else ("pack_too_complex", 422)
    return jsonify(
        {
            **report.to_dict(),
            "error": {"code": code, "message": first.message, "line": first.line, "column": first.column},
        }
    ), status


@bp.get("/test")
@require_permission("policies.edit")
def test_item():
    item_id = request.args.get("item_id", "").strip()
    draft_id = request.args.get("draft", type=int)
    draft, draft_pack, error, explanation = None, None, None, None
    if draft_id is not None:
        draft = db.session.get(PolicyDraft, draft_id)
        if draft is None:
            abort(404)
        try:
            draft_pack = compile_draft(draft.text)
        except PackInvalid as exc:
            error = f"Draft #{draft.id} has errors, so it cannot be tested: {exc}"
    if item_id and error is None:
        if not item_id.isdigit() or len(item_id) > 18:
            error = "An item id is a number."
        else:
            try:
                establishments = current_settings().provider_jurisdictions
                explanation = explain_item(db.session, int(item_id), draft_pack, establishments=establishments)
            except ItemNotFound:
                error = f"There is no item {item_id}."
    status = 404 if error and error.startswith("There is no item") else 200
    return render_template(
        "policies/test.html", item_id=item_id, draft=draft, explanation=explanation, error=error
    ), status


def _aware(day):
    return datetime.combine(day, time.min, tzinfo=UTC) if day else None


@bp.post("/<jurisdiction>/drafts/<int:draft_id>/backtests")
@require_permission("policies.edit")
def start_backtest(jurisdiction: str, draft_id: int):
    pack = pack_or_404(jurisdiction)
    draft = draft_or_404(pack, draft_id)
    form = BacktestForm()
    report = packs.validate_for_pack(draft.text, pack.jurisdiction)
    if not form.validate_on_submit():
        return render_draft(pack, draft, DraftForm(data={"text": draft.text}), report, 422, backtest_form=form)
    if form.scope.data == "last_n":
        backtest_request = BacktestRequest(last_n=form.last_n.data)
    else:
        backtest_request = BacktestRequest(since=_aware(form.since.data), until=_aware(form.until.data))
    try:
        backtest = request_backtest(db.session, draft, current_actor(), backtest_request)
    except BacktestRefused as exc:
        form.scope.errors.append(str(exc))
        return render_draft(
            pack, draft, DraftForm(data={"text": draft.text}), exc.report or report, 422, backtest_form=form
        )
    if not enqueue_backtest(backtest.id):
        flash("The job queue is unavailable: the backtest is saved and can be started again from this page.")
    return redirect(url_for("policies.backtest", backtest_id=backtest.id))


def _backtest_or_404(backtest_id: int) -> Backtest:
    backtest = db.session.get(Backtest, backtest_id)
    if backtest is None:
        abort(404)
    return backtest


@bp.get("/backtests/<int:backtest_id>")
@require_permission("policies.view")
def backtest(backtest_id: int):
    backtest = _backtest_or_404(backtest_id)
    return render_template(
        "policies/backtest.html",
        backtest=backtest,
        categories=CATEGORIES,
        draft=db.session.get(PolicyDraft, backtest.draft_id) if backtest.draft_id else None,
    )


@bp.post("/backtests/<int:backtest_id>/requeue")
@require_permission("policies.edit")
def requeue_backtest(backtest_id: int):
    backtest = _backtest_or_404(backtest_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    if not backtest.is_final and enqueue_backtest(backtest.id):
        flash("Backtest queued again.")
    return redirect(url_for("policies.backtest", backtest_id=backtest.id))


@bp.get("/backtests/<int:backtest_id>/progress")
@require_permission("policies.view")
def backtest_progress(backtest_id: int):
    backtest = _backtest_or_404(backtest_id)
    return jsonify(
        {
            "id": backtest.id,
            "status": backtest.status,
            "done": backtest.progress_done,
            "total": backtest.progress_total,
            "percent": backtest.percent,
            "error": backtest.error,
        }
    )


@bp.get("/hit-rates")
@require_permission("policies.view")
def rule_hit_rates():
    mode = request.args.get("mode", "shadow")
    if mode not in ("shadow", "enforce", "all"):
        abort(404)
    return render_template(
        "policies/hit_rates.html", rows=hit_rates(db.session, None if mode == "all" else mode), mode=mode
    )

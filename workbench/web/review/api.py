"""JSON endpoints of the review UI: the lease heartbeat (static/review.js) and a small
claim/decide pair that scripts and bench/claims.py use. Session-authenticated, so every
POST needs the CSRF token in the X-CSRFToken header (Flask-WTF checks it)."""

from __future__ import annotations

from flask import jsonify, request
from flask_login import current_user

from workbench.extensions import db
from workbench.services.review import case_actions, claims
from workbench.services.review.decisions import allowed_rules, decide_case
from workbench.services.review.errors import ReviewError
from workbench.settings import current as current_settings
from workbench.web.permissions import require_permission
from workbench.web.review.blueprint import bp


def _error(exc: ReviewError):
    db.session.rollback()
    return jsonify({"error": {"code": type(exc).__name__, "message": exc.message, "field": exc.field}}), exc.status


@bp.post("/review/api/next")
@require_permission("cases.decide")
def api_next():
    body = request.get_json(silent=True) or {}
    queue = body.get("queue") if isinstance(body.get("queue"), str) else None
    try:
        case = claims.claim_next(db.session, current_user, settings=current_settings(), queue=queue)
    except ReviewError as exc:
        return _error(exc)
    if case is None:
        return jsonify({"case": None})
    payload = {
        "id": case.id,
        "queue": case.queue,
        "claim_token": case.claim_token,
        "lease_expires_at": case.lease_expires_at.isoformat(),
        "rules": [
            {"rule": r.key, "outcomes": list(r.outcomes), "routed": r.routed}
            for r in allowed_rules(db.session, case, settings=current_settings())
        ],
    }
    db.session.rollback()
    return jsonify({"case": payload})


@bp.post("/review/api/cases/<int:case_id>/renew")
@require_permission("cases.decide")
def api_renew(case_id: int):
    try:
        expires = case_actions.renew_lease(db.session, case_id, current_user, settings=current_settings())
    except ReviewError as exc:
        return _error(exc)
    return jsonify({"lease_expires_at": expires.isoformat()})


@bp.post("/review/api/cases/<int:case_id>/decide")
@require_permission("cases.decide")
def api_decide(case_id: int):
    body = request.get_json(silent=True)
    if not isinstance(body, dict):
        return jsonify({"error": {"code": "invalid_body", "message": "Send a JSON object."}}), 400
    scope = body.get("territorial_scope")
    if scope is not None and not (isinstance(scope, list) and all(isinstance(c, str) for c in scope)):
        return jsonify(
            {
                "error": {
                    "code": "invalid_body",
                    "message": "territorial_scope: a list of country codes or null",
                    "field": "territorial_scope",
                }
            }
        ), 400
    token = body.get("claim_token")
    try:
        decision = decide_case(
            db.session,
            case_id,
            current_user,
            settings=current_settings(),
            outcome=str(body.get("outcome") or ""),
            rule=body.get("rule"),
            territorial_scope=scope,
            internal_note=str(body.get("internal_note") or ""),
            user_explanation=str(body.get("user_explanation") or ""),
            claim_token=token if isinstance(token, int) else None,
        )
    except ReviewError as exc:
        return _error(exc)
    return jsonify({"decision_id": decision.id, "outcome": decision.outcome}), 201

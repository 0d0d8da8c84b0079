"""POST /api/v1/appeals (DSA Art. 20 complaints) and GET /api/v1/appeals/<id>."""

from __future__ import annotations

from flask import g, url_for

from workbench.api.auth import require_api_client
from workbench.api.blueprint import bp
from workbench.api.errors import ApiError
from workbench.api.request_body import json_object
from workbench.extensions import db
from workbench.models import Appeal
from workbench.models.base import iso
from workbench.services.appeals.complaints import AppealError, AppealSettings, get_appeal, receive_appeal
from workbench.services.appeals.submissions import parse_appeal_fields
from workbench.settings import current as current_settings

FIELD_OF = {"decision_not_found": "decision_id", "idempotency_conflict": "external_id"}


def appeal_document(appeal: Appeal) -> dict:
    return {
        "id": appeal.id,
        "external_id": appeal.external_id,
        "url": url_for("api_v1.get_appeal_status", appeal_id=appeal.id),
        "item_id": appeal.item_id,
        "decision_id": appeal.decision_id,
        "status": appeal.status,  # open | decided
        "outcome": appeal.outcome,  # null | uphold | overturn
        "reply": appeal.reply,  # the reasons the complainant is told, once decided
        "restore_decision_id": appeal.outcome_decision_id,  # the decision an overturn recorded
        "received_at": iso(appeal.received_at),
        "decided_at": iso(appeal.decided_at),
    }


def _api_error(exc: AppealError) -> ApiError:
    return ApiError(exc.status, exc.code, str(exc), FIELD_OF.get(exc.code))


@bp.post("/appeals")
@require_api_client("appeals")
def post_appeal():
    settings = current_settings()
    submission = parse_appeal_fields(json_object(), max_explanation_chars=settings.max_explanation_chars)
    try:
        receipt = receive_appeal(
            db.session,
            client_id=g.api_client.id,
            submission=submission,
            pseudonym_key=settings.pseudonym_key,
            settings=AppealSettings.from_settings(settings),
        )
    except AppealError as exc:
        db.session.rollback()
        raise _api_error(exc) from exc
    return appeal_document(receipt.appeal), (201 if receipt.created else 200)


@bp.get("/appeals/<int:appeal_id>")
@require_api_client("appeals")
def get_appeal_status(appeal_id: int):
    try:
        return appeal_document(get_appeal(db.session, g.api_client.id, appeal_id))
    except AppealError as exc:
        raise _api_error(exc) from exc

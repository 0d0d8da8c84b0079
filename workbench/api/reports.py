"""POST reports (notices)."""

from __future__ import annotations

from flask import g

from workbench.api.auth import require_api_client
from workbench.api.blueprint import bp
from workbench.api.errors import ApiError
from workbench.api.request_body import json_object
from workbench.api.serializers import report_document
from workbench.extensions import db
from workbench.jobs.policy import enqueue_reevaluation
from workbench.services.intake.reports import AuthorityOrderRefused, ItemNotFound, create_report
from workbench.services.intake.submissions import parse_report_fields
from workbench.settings import current as current_settings


@bp.post("/reports")
@require_api_client("reports")
def post_report():
    submission = parse_report_fields(json_object(), max_explanation_chars=current_settings().max_explanation_chars)
    try:
        result = create_report(
            db.session, client_id=g.api_client.id, submission=submission, pseudonym_key=current_settings().pseudonym_key
        )
    except ItemNotFound as exc:
        raise ApiError(404, "item_not_found", str(exc), "item_id") from exc
    except AuthorityOrderRefused as exc:
        problem = exc.problem
        raise ApiError(
            422,
            problem.code,
            problem.message,
            "authority_rank",
            details={"rule": problem.rule, "citation": problem.citation},
        ) from exc
    if result.created:  # committed: evaluate the item again with the report among its facts
        enqueue_reevaluation(result.report.item_id, result.report.id)
    return report_document(result.report), (201 if result.created else 200)

"""Hash-list imports and exports, and the compare tool, over the API."""

from __future__ import annotations

from flask import g, request, url_for

from workbench.api.auth import require_api_client
from workbench.api.bank_documents import import_document, import_error_document
from workbench.api.blueprint import bp
from workbench.api.errors import ApiError
from workbench.api.request_body import multipart_fields
from workbench.audit import Actor
from workbench.extensions import db
from workbench.jobs.bank_imports import enqueue_import, start_import
from workbench.responses import export_response
from workbench.services.banks import access
from workbench.services.banks import imports as import_service
from workbench.services.banks.compare import compare_images
from workbench.services.banks.exports import export_bank
from workbench.services.banks.import_files import FileTooLarge
from workbench.services.intake.images import image_limits as check_image_limits
from workbench.services.validation import reject_unknown_fields
from workbench.settings import current as current_settings

MiB = 1024 * 1024


def _actor() -> Actor:
    return Actor.api_client(g.api_client.id)


@bp.post("/banks/<int:bank_id>/imports")
@require_api_client("banks:write")
def create_bank_import(bank_id: int):
    request.max_content_length = current_settings().max_import_bytes + MiB
    bank = access.owned_bank(db.session, g.api_client.id, bank_id)
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "send multipart/form-data with a 'file'")
    fields, files = multipart_fields({"file"})
    reject_unknown_fields(fields, {"format", "algorithm", "source"})
    if "file" not in files:
        raise ApiError(400, "missing_field", "send the hash list as a 'file'", "file")
    upload = files["file"]
    try:
        bank_import, queued = start_import(db.session, bank, upload.stream, upload.filename or "", fields, _actor())
    except FileTooLarge as exc:
        raise ApiError(413, "file_too_large", str(exc), "file") from exc
    document = {**import_document(bank_import), "job_queued": queued}
    return document, (201 if bank_import.is_final else 202), {"Location": document["url"]}


@bp.get("/banks/<int:bank_id>/imports/<int:import_id>")
@require_api_client("banks:write")
def get_bank_import(bank_id: int, import_id: int):
    bank = access.owned_bank(db.session, g.api_client.id, bank_id)
    bank_import = import_service.get_import(db.session, bank, import_id)
    page = import_service.import_errors(db.session, bank_import, limit=100)
    return {
        **import_document(bank_import),
        "errors": [import_error_document(e) for e in page.errors],
        "more_errors": (
            url_for("api_v1.get_bank_import_errors", bank_id=bank.id, import_id=import_id, after_line=page.next_after)
            if page.next_after
            else None
        ),
    }


@bp.get("/banks/<int:bank_id>/imports/<int:import_id>/errors")
@require_api_client("banks:write")
def get_bank_import_errors(bank_id: int, import_id: int):
    bank = access.owned_bank(db.session, g.api_client.id, bank_id)
    bank_import = import_service.get_import(db.session, bank, import_id)
    after = request.args.get("after_line", "0")
    if not after.isdigit():
        raise ApiError(400, "invalid_type", "'after_line' must be a non-negative integer", "after_line")
    page = import_service.import_errors(db.session, bank_import, after_line=int(after), limit=1000)
    return {
        "errors": [import_error_document(e) for e in page.errors],
        "next": (
            url_for("api_v1.get_bank_import_errors", bank_id=bank.id, import_id=import_id, after_line=page.next_after)
            if page.next_after
            else None
        ),
    }


@bp.post("/banks/<int:bank_id>/imports/<int:import_id>/resume")
@require_api_client("banks:write")
def resume_bank_import(bank_id: int, import_id: int):
    bank = access.owned_bank(db.session, g.api_client.id, bank_id)
    bank_import = import_service.reopen(db.session, import_service.get_import(db.session, bank, import_id), _actor())
    queued = enqueue_import(bank_import.id) if not bank_import.is_final else False
    return {**import_document(bank_import), "job_queued": queued}, 202


@bp.get("/banks/<int:bank_id>/export")
@require_api_client("banks:read")
def export_bank_list(bank_id: int):
    bank = access.readable_bank(db.session, g.api_client.id, bank_id)
    include_disabled = request.args.get("include_disabled", "false").lower() in ("1", "true", "yes")
    export = export_bank(
        db.session,
        bank,
        request.args.get("format", ""),
        _actor(),
        algorithm=request.args.get("algorithm") or None,
        include_disabled=include_disabled,
    )
    return export_response(export)


@bp.post("/banks/compare")
@require_api_client("banks:read")
def compare_two_images():
    if request.mimetype != "multipart/form-data":
        raise ApiError(415, "unsupported_media_type", "send multipart/form-data with 'image_a' and 'image_b'")
    fields, files = multipart_fields({"image_a", "image_b"})
    reject_unknown_fields(fields, set())
    for name in ("image_a", "image_b"):
        if name not in files:
            raise ApiError(400, "missing_field", "send two images, 'image_a' and 'image_b'", name)
    limit = current_settings().max_upload_bytes + 1
    comparison = compare_images(
        files["image_a"].stream.read(limit),
        files["image_b"].stream.read(limit),
        limits=check_image_limits(current_settings()),
    )
    return comparison.as_dict()

"""Hash banks and their entries over the API (bearer key; every change audited)."""

from __future__ import annotations

from flask import current_app, g, request, url_for

from classifiers.hashing.distance import ALGORITHMS, InvalidHashError, normalize_hash
from classifiers.hashing.formats import LineError
from workbench.api.auth import require_api_client
from workbench.api.bank_documents import bank_document, entry_document
from workbench.api.blueprint import bp
from workbench.api.errors import ApiError, error_response
from workbench.api.request_body import json_object, multipart_fields
from workbench.audit import Actor
from workbench.extensions import db
from workbench.services.banks import access
from workbench.services.banks import banks as bank_service
from workbench.services.banks import entries as entry_service
from workbench.services.banks.errors import InvalidHashLines
from workbench.services.intake.images import check_image, image_limits
from workbench.services.validation import ValidationFailed, reject_unknown_fields, string_field
from workbench.settings import current as current_settings

MAX_PAGE = 500
ENTRY_FIELDS = {"algorithm", "value", "note", "source"}


def _actor() -> Actor:
    return Actor.api_client(g.api_client.id)


def _readable(bank_id: int):
    return access.readable_bank(db.session, g.api_client.id, bank_id)


def _owned(bank_id: int):
    return access.owned_bank(db.session, g.api_client.id, bank_id)


@bp.errorhandler(InvalidHashLines)
def invalid_hashes(exc: InvalidHashLines):
    response = error_response(exc.status, exc.code, exc.message, exc.field)
    body = response.get_json()
    body["error"]["errors"] = [{"line": e.line, "reason": e.reason} for e in exc.errors[:1000]]
    response.set_data(current_app.json.dumps(body))
    return response


@bp.get("/banks")
@require_api_client("banks:read")
def list_banks():
    banks = bank_service.list_banks(db.session, access.readable_by(g.api_client.id))
    return {"banks": [bank_document(summary) for summary in banks]}


@bp.post("/banks")
@require_api_client("banks:write")
def create_bank():
    fields = bank_service.parse_bank_fields(json_object(), partial=False)
    bank = bank_service.create_bank(db.session, {**fields, "owner_client_id": g.api_client.id}, _actor())
    document = bank_document(bank_service.bank_summary(db.session, bank))
    return document, 201, {"Location": document["url"]}


@bp.get("/banks/<int:bank_id>")
@require_api_client("banks:read")
def get_bank(bank_id: int):
    bank = _readable(bank_id)
    return bank_document(bank_service.bank_summary(db.session, bank))


@bp.patch("/banks/<int:bank_id>")
@require_api_client("banks:write")
def update_bank(bank_id: int):
    bank = _owned(bank_id)
    fields = bank_service.parse_bank_fields(json_object(), partial=True)
    bank = bank_service.update_bank(db.session, bank, fields, _actor())
    return bank_document(bank_service.bank_summary(db.session, bank))


def _int_arg(name: str, default: int | None, maximum: int | None = None) -> int | None:
    raw = request.args.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise ApiError(400, "invalid_type", f"'{name}' must be a positive integer", name)
    value = int(raw)
    if maximum is not None and value > maximum:
        raise ApiError(400, "out_of_range", f"'{name}' must be at most {maximum}", name)
    return value


@bp.get("/banks/<int:bank_id>/entries")
@require_api_client("banks:read")
def list_entries(bank_id: int):
    bank = _readable(bank_id)
    limit = _int_arg("limit", 100, MAX_PAGE)
    args = {
        "q": request.args.get("q", ""),
        "algorithm": request.args.get("algorithm") or None,
        "status": request.args.get("status", "all"),
    }
    page = entry_service.search_entries(db.session, bank, before=_int_arg("before", None), limit=limit, **args)
    next_url = (
        url_for(
            "api_v1.list_entries",
            bank_id=bank.id,
            before=page.next_before,
            limit=limit,
            **{k: v for k, v in args.items() if v},
        )
        if page.next_before
        else None
    )
    return {"entries": [entry_document(e) for e in page.entries], "total": page.total, "next": next_url}


def _specs_from_json(data: dict) -> tuple[list, str, str]:
    reject_unknown_fields(data, {"entries", "note", "source"})
    items = data.get("entries")
    if not isinstance(items, list) or not items:
        raise ValidationFailed(
            "missing_field", "'entries' must be a non-empty list of {algorithm, value[, note, source]}", "entries"
        )
    if len(items) > entry_service.MAX_ENTRIES_PER_REQUEST:
        raise ValidationFailed(
            "too_many_entries",
            f"at most {entry_service.MAX_ENTRIES_PER_REQUEST} entries at once; import larger lists as a file",
            "entries",
            413,
        )
    specs, errors = [], []
    for position, item in enumerate(items, start=1):
        try:
            if not isinstance(item, dict):
                raise ValueError("each entry must be an object")
            reject_unknown_fields(item, ENTRY_FIELDS)
            algorithm = item.get("algorithm")
            if algorithm not in ALGORITHMS:
                raise ValueError(f"'algorithm' must be one of: {', '.join(sorted(ALGORITHMS))}")
            value = normalize_hash(algorithm, item.get("value") if isinstance(item.get("value"), str) else "")
            note = (
                string_field(item, "note", required=False, max_chars=entry_service.MAX_NOTE_CHARS, multiline=True) or ""
            )
            source = string_field(item, "source", required=False, max_chars=entry_service.MAX_SOURCE_CHARS) or ""
            specs.append(entry_service.EntrySpec(algorithm, value, note, source))
        except (ValueError, InvalidHashError) as exc:
            errors.append(LineError(position, getattr(exc, "message", None) or str(exc)))
    if errors:
        raise InvalidHashLines(errors, "entries")
    note = string_field(data, "note", required=False, max_chars=entry_service.MAX_NOTE_CHARS, multiline=True) or ""
    source = string_field(data, "source", required=False, max_chars=entry_service.MAX_SOURCE_CHARS) or ""
    return specs, note, source


def _specs_from_image() -> tuple[list, str, str, list[str]]:
    settings = current_settings()
    fields, files = multipart_fields({"image"})
    reject_unknown_fields(fields, {"note", "source", "algorithms"})
    upload = files.get("image")
    if upload is None:
        raise ApiError(400, "missing_field", "multipart requests need an 'image' file", "image")
    data = upload.stream.read(settings.max_upload_bytes + 1)
    check_image(data, **image_limits(settings))
    wanted = None
    if fields.get("algorithms"):
        wanted = {
            entry_service.check_algorithm(a.strip(), "algorithms") for a in fields["algorithms"].split(",") if a.strip()
        }
    specs, warnings = entry_service.specs_from_image(data, wanted)
    return specs, fields.get("note", ""), fields.get("source", ""), warnings


@bp.post("/banks/<int:bank_id>/entries")
@require_api_client("banks:write")
def add_entries(bank_id: int):
    bank = _owned(bank_id)
    warnings: list[str] = []
    if request.mimetype == "multipart/form-data":
        specs, note, source, warnings = _specs_from_image()
        how = "image"
    else:
        specs, note, source = _specs_from_json(json_object())
        how = "api"
    result = entry_service.add_entries(db.session, bank, specs, _actor(), note=note, source=source, how=how)
    body = {
        "added": [entry_document(e) for e in result.added],
        "already_present": [entry_document(e) for e in result.already_present],
        "change_id": result.change_id,
        "warnings": warnings,
    }
    return body, (201 if result.added else 200)


@bp.get("/banks/<int:bank_id>/entries/<int:entry_id>")
@require_api_client("banks:read")
def get_entry(bank_id: int, entry_id: int):
    bank = _readable(bank_id)
    return entry_document(entry_service.get_entry(db.session, bank, entry_id))


@bp.patch("/banks/<int:bank_id>/entries/<int:entry_id>")
@require_api_client("banks:write")
def update_entry(bank_id: int, entry_id: int):
    bank = _owned(bank_id)
    data = json_object()
    reject_unknown_fields(data, {"enabled", "note"})
    if "enabled" in data and not isinstance(data["enabled"], bool):
        raise ApiError(400, "invalid_type", "'enabled' must be true or false", "enabled")
    note = string_field(data, "note", required=False, max_chars=entry_service.MAX_NOTE_CHARS, multiline=True)
    change_id = None
    if "note" in data:
        entry_service.update_entry_note(db.session, bank, entry_id, note or "", _actor())
    if "enabled" in data:
        _, change_id = entry_service.set_entry_disabled(db.session, bank, entry_id, not data["enabled"], _actor())
    entry = entry_service.get_entry(db.session, bank, entry_id)
    return {**entry_document(entry), "change_id": change_id}


@bp.delete("/banks/<int:bank_id>/entries/<int:entry_id>")
@require_api_client("banks:write")
def delete_entry(bank_id: int, entry_id: int):
    bank = _owned(bank_id)
    change_id = entry_service.remove_entry(db.session, bank, entry_id, _actor())
    return {"removed": entry_id, "change_id": change_id}

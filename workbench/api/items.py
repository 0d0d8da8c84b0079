"""POST/GET items."""

from __future__ import annotations

from flask import g, request, url_for
from sqlalchemy import func, select

from workbench.api.auth import require_api_client
from workbench.api.blueprint import bp
from workbench.api.errors import ApiError
from workbench.api.request_body import json_object, multipart_fields
from workbench.api.serializers import item_document
from workbench.extensions import db
from workbench.metrics import inc
from workbench.models import Item, Report
from workbench.queues import enqueue_item
from workbench.services.blobstore import BlobStore
from workbench.services.intake.images import check_image, image_limits
from workbench.services.intake.ingest import UploadedImage, find_item, ingest_item
from workbench.services.intake.submissions import parse_item_fields
from workbench.services.intake.videos import check_video
from workbench.settings import current as current_settings


def _read_submission():
    settings = current_settings()
    if request.mimetype == "multipart/form-data":
        fields, files = multipart_fields({"image", "video"})
        if "video" in files:
            return _read_video(fields, files)
        upload = files.get("image")
        if upload is None:
            raise ApiError(400, "missing_field", "multipart uploads need an 'image' or a 'video' file", "image")
        data = upload.stream.read(settings.max_upload_bytes + 1)
        checked = check_image(data, **image_limits(settings))
        submission = parse_item_fields(fields, kind="image", max_text_chars=settings.max_text_chars)
        return submission, UploadedImage(data, checked)
    data = json_object()
    if "image" in data:
        raise ApiError(400, "invalid_type", "send images as multipart/form-data, not inside JSON", "image")
    return parse_item_fields(data, kind="text", max_text_chars=settings.max_text_chars), None


def _read_video(fields, files):
    settings = current_settings()
    if "image" in files:
        raise ApiError(400, "invalid_type", "send either an 'image' or a 'video', not both", "video")
    data = files["video"].stream.read(settings.max_video_bytes + 1)
    checked = check_video(data, settings)
    submission = parse_item_fields(fields, kind="video", max_text_chars=settings.max_text_chars)
    return submission, UploadedImage(data, checked)  # the blob path is the same for every medium


@bp.post("/items")
@require_api_client("items")
def create_item():
    submission, image = _read_submission()  # validates everything before anything is written
    result = ingest_item(
        db.session,
        client_id=g.api_client.id,
        submission=submission,
        image=image,
        blob_store=BlobStore(current_settings().blob_dir),
        pseudonym_key=current_settings().pseudonym_key,
    )
    item = result.item
    if result.created:
        inc("workbench_items_received_total", kind=item.kind)
        enqueue_item(item.id)  # after the commit; a failed enqueue is caught by the sweeper
    url = url_for("api_v1.get_item", item_id=item.id)
    body = {"id": item.id, "external_id": item.external_id, "status": item.status, "url": url}
    return body, (201 if result.created else 200), {"Location": url}


def _own_item(item_id: int) -> Item:
    item = db.session.get(Item, item_id)
    if item is None or item.client_id != g.api_client.id:
        raise ApiError(404, "not_found", f"no item {item_id}")
    return item


def _document(item: Item) -> dict:
    report_count = db.session.scalar(select(func.count()).select_from(Report).where(Report.item_id == item.id))
    return item_document(item, report_count=report_count)


@bp.get("/items/<int:item_id>")
@require_api_client("items")
def get_item(item_id: int):
    return _document(_own_item(item_id))


@bp.get("/items")
@require_api_client("items")
def find_item_by_external_id():
    external_id = request.args.get("external_id", "")
    if not external_id or len(external_id) > 255:
        raise ApiError(400, "missing_field", "pass ?external_id=<the platform's content id>", "external_id")
    item = find_item(db.session, g.api_client.id, external_id)
    if item is None:
        raise ApiError(404, "not_found", "no item with that external_id")
    return _document(item)

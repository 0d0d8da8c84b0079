"""The video of a case and the thumbnails of its classified frames, only for users who may see the case."""

from __future__ import annotations

import io

from flask import abort, current_app, send_file
from flask_login import current_user

from workbench.extensions import db
from workbench.services.blobstore import BlobNotFound, BlobStore
from workbench.services.review.case_view import frame_thumbnail, media_for
from workbench.services.review.errors import CaseNotFound
from workbench.services.review.video_view import SAFE_VIDEO_TYPES
from workbench.settings import current as current_settings
from workbench.web.permissions import require_permission
from workbench.web.review.blueprint import bp
from workbench.web.review.media_headers import private_media


def _video_bytes(case_id: int):
    try:
        blob = media_for(db.session, case_id, current_user)
    except CaseNotFound:
        abort(404)
    if blob is None or blob.mime not in SAFE_VIDEO_TYPES:
        abort(404)
    try:
        return blob, BlobStore(current_settings().blob_dir).read(blob.sha256)
    except (BlobNotFound, OSError):
        abort(404)


@bp.get("/cases/<int:case_id>/video")
@require_permission("cases.decide")
def case_video(case_id: int):
    blob, data = _video_bytes(case_id)
    return private_media(send_file(io.BytesIO(data), mimetype=blob.mime, conditional=True, max_age=0), case_id)


@bp.get("/cases/<int:case_id>/frames/<int:number>")
@require_permission("cases.decide")
def case_frame(case_id: int, number: int):
    """A thumbnail the classify worker stored (404 until then): no request decodes a video."""
    try:
        jpeg = frame_thumbnail(db.session, case_id, current_user, number)
    except CaseNotFound:
        abort(404)
    if jpeg is None:
        abort(404)
    return private_media(current_app.response_class(jpeg, mimetype="image/jpeg"), case_id)

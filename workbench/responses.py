"""HTTP responses the API and the web pages both send."""

from __future__ import annotations

from flask import Response, stream_with_context


def export_response(export) -> Response:
    """A hash-list export streamed as an attachment, never cached."""
    response = Response(stream_with_context(export.chunks), mimetype=export.mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    response.headers["X-Entry-Count"] = str(export.count)
    response.headers["Cache-Control"] = "no-store"
    return response

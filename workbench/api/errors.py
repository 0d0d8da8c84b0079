"""JSON errors for the API: {"error": {"code": ..., "message": ...}} with the right status."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, request
from sqlalchemy.exc import DataError, OperationalError
from werkzeug.exceptions import HTTPException

from workbench.extensions import db
from workbench.services.intake.images import ImageRejected
from workbench.services.validation import ValidationFailed

log = logging.getLogger(__name__)


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str, field: str | None = None, details: dict | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.field = field
        self.details = details  # more keys of the error object, e.g. the rule and citation of a refusal


def error_response(status: int, code: str, message: str, field: str | None = None, headers=None, details=None):
    body = {"code": code, "message": message}
    if field:
        body["field"] = field
    body.update(details or {})
    response = jsonify({"error": body})
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _is_api_request() -> bool:
    return request.path.startswith("/api/")


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def handle_api_error(exc: ApiError):
        headers = {"WWW-Authenticate": 'Bearer realm="workbench"'} if exc.status == 401 else None
        return error_response(exc.status, exc.code, exc.message, exc.field, headers, exc.details)

    @app.errorhandler(ValidationFailed)
    def handle_validation(exc: ValidationFailed):
        return error_response(exc.status, exc.code, exc.message, exc.field)

    @app.errorhandler(ImageRejected)
    def handle_image(exc: ImageRejected):
        return error_response(exc.status, exc.code, exc.message, "image")

    @app.errorhandler(OperationalError)
    def handle_database_down(exc: OperationalError):
        db.session.rollback()
        log.error("database unavailable: %s", exc.orig if hasattr(exc, "orig") else exc)
        if _is_api_request():
            return error_response(
                503, "database_unavailable", "the database is unavailable; retry later", headers={"Retry-After": "5"}
            )
        return "The database is unavailable; retry in a moment.", 503

    @app.errorhandler(DataError)
    def handle_out_of_range(exc: DataError):
        # e.g. /banks/3319194234339 on PostgreSQL, where some ids are 32-bit: no such object.
        db.session.rollback()
        log.warning("database rejected a value on %s %s: %s", request.method, request.path, exc.orig)
        status, code, message = (
            (404, "not_found", "no such object")
            if request.view_args
            else (400, "out_of_range", "a value is out of range")
        )
        if _is_api_request():
            return error_response(status, code, message)
        return message, status

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        if not _is_api_request():
            return exc
        code = {
            413: "payload_too_large",
            404: "not_found",
            405: "method_not_allowed",
            415: "unsupported_media_type",
            400: "bad_request",
        }.get(exc.code, "http_error")
        return error_response(exc.code, code, exc.description or exc.name)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        db.session.rollback()
        log.exception("unhandled error on %s %s", request.method, request.path)
        if _is_api_request():
            return error_response(500, "internal_error", "unexpected error; it has been logged")
        return "Internal error; it has been logged.", 500

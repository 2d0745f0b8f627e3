"""Errors become clear pages (or the API's JSON error format), never a traceback."""

from __future__ import annotations

import logging
import re

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException

from scheduler.services.errors import Conflict, Forbidden, InvalidInput, NotFound, ServiceError, TooManyAttempts
from web.unit_of_work import rollback

log = logging.getLogger(__name__)

CONFLICT_MESSAGE = "Someone else changed this at the same moment. Reload the page and try again."
STATUS_OF = {InvalidInput: 422, NotFound: 404, Conflict: 409, Forbidden: 403, TooManyAttempts: 429}
TITLES = {
    400: "The request could not be understood",
    403: "You cannot open this page",
    404: "Page not found",
    405: "That action is not possible here",
    409: "Something changed meanwhile",
    422: "Some details need your attention",
    429: "Too many attempts",
    500: "Something went wrong on our side",
}


# Path segments that are secrets: a coachee's status link, a set-password link, a calendar feed.
_SECRET_IN_PATH = re.compile(r"(/r/|/set-password/|/feeds/)[^/\s?\"]+")


def loggable_path() -> str:
    """The request path with private-link tokens blanked, for logs."""
    return _SECRET_IN_PATH.sub(r"\1[token]", request.path)


class RedactTokens(logging.Filter):
    """Blanks private-link tokens in access-log lines (the development server logs every path)."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        redacted = _SECRET_IN_PATH.sub(r"\1[token]", message)
        if redacted != message:
            record.msg, record.args = redacted, None
        return True


def status_of(error: ServiceError) -> int:
    for kind, status in STATUS_OF.items():
        if isinstance(error, kind):
            return status
    return 400


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def error_response(status: int, code: str, message: str, fields: dict[str, str] | None = None) -> Response:
    """One error for both audiences: a page for people, `{"error": {...}}` under /api/."""
    if _wants_json():
        body = jsonify({"error": {"code": code, "message": message, "fields": fields or {}}})
        body.status_code = status
        return body
    page = render_template(
        "errors/error.html",
        status=status,
        title=TITLES.get(status, "Something went wrong"),
        message=message,
        fields=fields or {},
    )
    return Response(page, status=status, mimetype="text/html")


def refused_commit() -> Response:
    """The response when the database refuses a request's commit (someone changed the same rows)."""
    return error_response(409, "conflict", CONFLICT_MESSAGE)


def init_error_handlers(app: Flask) -> None:
    if not any(isinstance(f, RedactTokens) for f in logging.getLogger("werkzeug").filters):
        logging.getLogger("werkzeug").addFilter(RedactTokens())

    @app.errorhandler(ServiceError)
    def _service_error(error: ServiceError) -> Response:
        rollback()
        return error_response(status_of(error), error.code, error.message, error.fields)

    @app.errorhandler(CSRFError)
    def _csrf_error(error: CSRFError) -> Response:
        rollback()
        message = (
            "This form was sent without a valid security token (it may have expired). "
            "Go back, reload the page and send it again."
        )
        return error_response(400, "csrf", message, {"csrf_token": error.description})

    @app.errorhandler(IntegrityError)
    def _integrity_error(error: IntegrityError) -> Response:
        # The database refused a change (e.g. PostgreSQL's no-overlap constraint): someone was faster.
        rollback()
        # The driver's message can quote the row's values (e-mail addresses): log only its kind.
        log.info("integrity error on %s %s: %s", request.method, loggable_path(), type(error.orig).__name__)
        return error_response(409, "conflict", CONFLICT_MESSAGE)

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException) -> Response:
        rollback()
        status = error.code or 500
        return error_response(status, error.name.lower().replace(" ", "_"), error.description or "")

    @app.errorhandler(Exception)
    def _unexpected(error: Exception) -> Response:
        rollback()
        log.exception("unhandled error on %s %s", request.method, loggable_path())
        return error_response(500, "internal", "The error has been logged. Please try again later.")

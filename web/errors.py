"""Friendly errors: an HTML page or ``{"error": {"code", "message"}}``, never a traceback."""

from __future__ import annotations

import contextlib
import logging
from typing import Any

from flask import Flask, Response, g, jsonify, render_template
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from werkzeug.exceptions import HTTPException, InternalServerError, ServiceUnavailable

from models.db import db
from web.current import wants_json

log = logging.getLogger(__name__)

MESSAGES: dict[int, tuple[str, str]] = {
    400: ("bad_request", "The request could not be understood. Please check it and try again."),
    401: ("unauthorized", "Please sign in to continue."),
    403: ("forbidden", "You do not have permission to do that."),
    404: ("not_found", "We could not find what you were looking for."),
    405: ("method_not_allowed", "That action is not allowed here."),
    409: ("conflict", "That conflicts with the current state. Please reload and try again."),
    410: ("gone", "That is no longer available."),
    413: ("too_large", "File size exceeds limit"),
    415: ("unsupported_media_type", "Invalid file format"),
    422: ("invalid", "Some of the information given is not valid."),
    429: ("rate_limited", "Too many requests. Please slow down and try again shortly."),
    500: ("server_error", "Server error. Please try again."),
    503: ("unavailable", "The service is briefly unavailable. Please try again in a moment."),
}


class UserFacingError(HTTPException):
    """An HTTP error whose message (and code) are written for the person who made the request."""

    def __init__(
        self,
        status: int,
        message: str,
        code: str | None = None,
        details: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ):
        super().__init__(description=message)
        self.code = status
        self.error_code = code or MESSAGES.get(status, ("error", ""))[0]
        self.details = details
        self.extra_headers = headers or {}


def error_response(
    status: int,
    message: str | None = None,
    code: str | None = None,
    details: dict[str, Any] | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    default_code, default_message = MESSAGES.get(status, ("error", "Something went wrong."))
    message = message or default_message
    code = code or default_code
    request_id = g.get("request_id")
    if wants_json():
        body: dict[str, Any] = {"error": {"code": code, "message": message}}
        if details:
            body["error"]["details"] = details
        if request_id:
            body["error"]["request_id"] = request_id
        response = jsonify(body)
    else:
        response = Response(
            render_template("error.html", status=status, message=message, request_id=request_id),
            mimetype="text/html",
        )
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def _message_for(exc: HTTPException) -> tuple[str | None, str | None, dict[str, Any] | None]:
    if isinstance(exc, UserFacingError):
        return exc.description, exc.error_code, exc.details
    status = exc.code or 500
    details = None
    data = getattr(exc, "data", None)
    if isinstance(data, dict) and data.get("messages"):
        details = data["messages"]
    if status == 429:
        return None, None, None
    if isinstance(exc, CSRFError):
        return "Your form has expired. Please reload the page and try again.", "csrf", None
    # Werkzeug's own descriptions are for developers; ours are for people.
    return None, None, details


def handle_http_exception(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status >= 500:
        log.error("HTTP %s: %s", status, exc.description)
    message, code, details = _message_for(exc)
    headers = dict(getattr(exc, "extra_headers", {}) or {})
    if status == 405 and exc.get_response().headers.get("Allow"):
        headers["Allow"] = exc.get_response().headers["Allow"]
    if status == 429:
        retry_after = getattr(exc, "retry_after", None)
        response = exc.get_response()
        if response.headers.get("Retry-After"):
            headers["Retry-After"] = response.headers["Retry-After"]
        elif retry_after:
            headers["Retry-After"] = str(retry_after)
    return error_response(status, message, code, details, headers)


def handle_unexpected(exc: Exception) -> Response:
    """Anything not handled: log it with the request id, show the friendly 500 (or 503)."""
    with contextlib.suppress(Exception):  # the database may be the thing that is down
        db.rollback()
    if isinstance(exc, OperationalError | PoolTimeout):
        log.error("database unavailable: %s", exc.__class__.__name__)
        return error_response(503, headers={"Retry-After": "5"})
    log.exception("unhandled error (request %s)", g.get("request_id"))
    return error_response(500)


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(InternalServerError, handle_http_exception)
    app.register_error_handler(ServiceUnavailable, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)

"""The JSON API under ``/api/v1/``, documented from code at ``/api/openapi.json``."""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Any, TypeVar

from flask import Flask, abort, current_app, request
from flask_smorest import Api
from flask_wtf.csrf import CSRFError, validate_csrf
from werkzeug.exceptions import HTTPException

from web.api.schemas import ErrorResponseSchema
from web.current import current_token, current_user
from web.errors import handle_http_exception

# Each room's API module exposes ``blp`` (a flask_smorest Blueprint); add new ones here.
API_MODULES: list[str] = [
    "web.api.me",
    "web.api.submissions",
    "web.api.tickets",
    "web.api.offers",
    "web.api.tokens",
    "web.api.notifications",
    "web.api.comments",
]

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}
F = TypeVar("F", bound=Callable[..., Any])


class VettedApi(Api):
    """flask-smorest's Api, answering errors in Vetted's one JSON error shape.

    ``ERROR_SCHEMA`` makes the documented ``default`` response of every operation that shape, so
    clients (and schemathesis) see the errors the API really returns.
    """

    ERROR_SCHEMA = ErrorResponseSchema

    def handle_http_exception(self, error: HTTPException):  # type: ignore[no-untyped-def]
        return handle_http_exception(error)


api = VettedApi()


def api_auth_required(write: bool = False) -> None:
    """401 unless signed in or holding a token; 403 when the token lacks the needed scope."""
    user = current_user()
    if user is None:
        abort(401)
    token = current_token()
    if token is not None and write and "write" not in (token.scopes or []):
        abort(403)


def public(view: F) -> F:
    """Mark an API view as open to anonymous callers (everything else requires credentials)."""
    view._vetted_public = True  # type: ignore[attr-defined]
    return view


def _require_credentials() -> None:
    """Every API operation refuses anonymous callers with 401 before looking at its input.

    Checking here, not in each view, means a body that fails validation cannot tell an
    anonymous caller anything (422 before 401) and no operation can forget the check.
    """
    if not request.path.startswith("/api/v1/") or request.method == "OPTIONS":
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "_vetted_public", False):
        return
    if current_user() is None:
        abort(401)


def _csrf_for_session_requests() -> None:
    """Browser-session API calls that change things need the CSRF header; token calls do not."""
    if request.method in SAFE_METHODS or not request.path.startswith("/api/"):
        return
    if request.headers.get("Authorization", "").lower().startswith("bearer "):
        return
    if current_user() is None:
        return  # no session to ride on: the call is refused as anonymous (401) further on
    try:
        validate_csrf(request.headers.get("X-CSRFToken", ""))
    except Exception as exc:
        raise CSRFError("The CSRF token is missing or invalid.") from exc


def init_api(app: Flask) -> None:
    app.config.update(
        API_TITLE="Vetted API",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api",
        OPENAPI_JSON_PATH="openapi.json",
        API_SPEC_OPTIONS={
            "info": {"description": "Request and follow code reviews by verified experts."},
            "servers": [{"url": "/"}],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {"type": "http", "scheme": "bearer"},
                    "cookieAuth": {"type": "apiKey", "in": "cookie", "name": "session"},
                }
            },
            "security": [{"bearerAuth": []}, {"cookieAuth": []}],
        },
    )
    api.init_app(app)
    from web.inputs import document_nul_free_strings

    document_nul_free_strings(api)
    for module_name in API_MODULES:
        module = importlib.import_module(module_name)
        api.register_blueprint(module.blp)
    app.before_request(_require_credentials)
    app.before_request(_csrf_for_session_requests)

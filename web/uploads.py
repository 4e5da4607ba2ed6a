"""tus 1.0.0 resumable uploads at ``/api/v1/uploads`` (core, creation, termination, checksum,
expiration). The protocol's state lives in ``intake.tus`` on the shared storage directory."""

from __future__ import annotations

import base64
from email.utils import format_datetime

from flask import Blueprint, Response, request, url_for

from intake import tus
from web.api import api_auth_required
from web.current import current_user
from web.errors import error_response
from web.submitting import app_settings

bp = Blueprint("uploads", __name__, url_prefix="/api/v1/uploads")
OCTET = "application/offset+octet-stream"


@bp.record_once
def _exempt_from_form_csrf(state) -> None:  # type: ignore[no-untyped-def]
    """Token calls need no CSRF; browser-session calls send X-CSRFToken (the API rule)."""
    state.app.extensions["csrf"].exempt(bp)


@bp.after_request
def _tus_headers(response: Response) -> Response:
    response.headers["Tus-Resumable"] = tus.TUS_VERSION
    response.headers.setdefault("Cache-Control", "no-store")
    return response


@bp.before_request
def _check_version() -> Response | None:
    if request.method == "OPTIONS":
        return None
    if request.headers.get("Tus-Resumable") != tus.TUS_VERSION:
        return error_response(
            412,
            "Unsupported tus version: send Tus-Resumable: 1.0.0.",
            "tus_version",
            headers={"Tus-Version": tus.TUS_VERSION},
        )
    api_auth_required(write=request.method != "HEAD")
    return None


def _fail(error: tus.TusError) -> Response:
    return error_response(error.status, error.message, error.code)


def _upload_headers(upload: tus.Upload) -> dict[str, str]:
    return {
        "Upload-Offset": str(upload.offset),
        "Upload-Length": str(upload.length),
        "Upload-Expires": format_datetime(upload.expires, usegmt=True),
    }


def _owner_id() -> int:
    user = current_user()
    assert user is not None  # api_auth_required ran
    return user.id


def _int_header(name: str) -> int | None:
    value = request.headers.get(name, "")
    return int(value) if value.isdigit() else None


@bp.route("", methods=["OPTIONS"])
@bp.route("/<upload_id>", methods=["OPTIONS"])
def options(upload_id: str | None = None):  # type: ignore[no-untyped-def]
    response = Response(status=204)
    response.headers.update(
        {
            "Tus-Version": tus.TUS_VERSION,
            "Tus-Extension": tus.EXTENSIONS,
            "Tus-Max-Size": str(app_settings().max_upload_bytes),
            "Tus-Checksum-Algorithm": ",".join(tus.CHECKSUM_ALGORITHMS),
        }
    )
    return response


@bp.post("")
def create():  # type: ignore[no-untyped-def]
    length = _int_header("Upload-Length")
    if length is None:
        if request.headers.get("Upload-Defer-Length"):
            return error_response(400, "Deferred upload length is not supported.", "bad_length")
        return error_response(400, "Upload-Length is required.", "bad_length")
    try:
        metadata = tus.parse_metadata(request.headers.get("Upload-Metadata"))
        upload = tus.create(app_settings(), _owner_id(), length, metadata)
    except tus.TusError as error:
        return _fail(error)
    response = Response(status=201)
    response.headers["Location"] = url_for("uploads.head", upload_id=upload.id, _external=True)
    response.headers.update(_upload_headers(upload))
    return response


@bp.route("/<upload_id>", methods=["HEAD"])
def head(upload_id: str):  # type: ignore[no-untyped-def]
    try:
        upload = tus.load(app_settings(), upload_id, _owner_id())
    except tus.TusError as error:
        return Response(status=error.status)  # HEAD answers carry no body
    response = Response(status=200)
    response.headers.update(_upload_headers(upload))
    if upload.metadata:
        response.headers["Upload-Metadata"] = ",".join(
            f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in upload.metadata.items()
        )
    return response


@bp.route("/<upload_id>", methods=["PATCH"])
def patch(upload_id: str):  # type: ignore[no-untyped-def]
    if request.mimetype != OCTET:
        return error_response(415, f"PATCH bodies must be {OCTET}.", "unsupported_media_type")
    offset = _int_header("Upload-Offset")
    if offset is None:
        return error_response(400, "Upload-Offset is required.", "bad_offset")
    settings = app_settings()
    try:
        current = tus.load(settings, upload_id, _owner_id())
        if request.content_length is not None and offset + request.content_length > current.length:
            return error_response(413, "The body goes past Upload-Length.", "too_long")
        upload = tus.append(
            settings,
            upload_id,
            _owner_id(),
            offset,
            request.stream,  # type: ignore[arg-type]
            request.headers.get("Upload-Checksum"),
        )
    except tus.TusError as error:
        return _fail(error)
    response = Response(status=204)
    response.headers.update(_upload_headers(upload))
    return response


@bp.route("/<upload_id>", methods=["DELETE"])
def delete(upload_id: str):  # type: ignore[no-untyped-def]
    try:
        tus.terminate(app_settings(), upload_id, _owner_id())
    except tus.TusError as error:
        return _fail(error)
    return Response(status=204)

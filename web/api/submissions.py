"""``POST /api/v1/submissions``: an archive (multipart ``archive``), a finished tus upload
(``upload_id``) or a repository URL (``repo_url``), as multipart, form or JSON."""

from __future__ import annotations

from flask import request, url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from web.api import api_auth_required
from web.api.schemas import ErrorResponseSchema
from web.current import current_user
from web.errors import UserFacingError
from web.submitting import app_settings, create_submission, refuse_oversized_body

blp = Blueprint(
    "submissions", __name__, url_prefix="/api/v1/submissions", description="Request a review"
)


@blp.record_once
def _exempt_from_form_csrf(state) -> None:  # type: ignore[no-untyped-def]
    """Token calls need no CSRF; session calls are checked by the API's X-CSRFToken rule."""
    state.app.extensions["csrf"].exempt(blp)


REVIEW_TYPE_VALUES = ["security", "performance", "best-practices"]
GITHUB_URL = r"^https://github\.com/[A-Za-z0-9_-]+/[A-Za-z0-9_-]+$"
GITLAB_URL = r"^https://gitlab\.com/[A-Za-z0-9_-]+(/[A-Za-z0-9_-]+)+$"
COMMON = {
    "review_types": {
        "type": "array",
        "minItems": 1,
        "items": {"type": "string", "enum": REVIEW_TYPE_VALUES},
    },
    "description": {"type": "string", "maxLength": 5000},
    "hints": {"type": "array", "maxItems": 10, "items": {"type": "string", "maxLength": 40}},
}
# JSON bodies; multipart (``archive`` file + the same fields, review_types comma separated) is
# accepted too but not listed, as a generated "archive" could never be valid.
REQUEST_BODY = {
    "required": True,
    "description": "A repository URL or a finished tus upload (JSON); or multipart/form-data "
    "with an `archive` file and the same fields (review_types comma separated).",
    "content": {
        "application/json": {
            "schema": {
                "oneOf": [
                    {
                        "type": "object",
                        "required": ["review_types", "repo_url"],
                        "properties": {
                            **COMMON,
                            "repo_url": {
                                "type": "string",
                                "anyOf": [{"pattern": GITHUB_URL}, {"pattern": GITLAB_URL}],
                                "description": "GitHub or GitLab URL, optionally /tree/<ref>",
                            },
                        },
                        "additionalProperties": False,
                    },
                    {
                        "type": "object",
                        "required": ["review_types", "upload_id"],
                        "properties": {
                            **COMMON,
                            "upload_id": {
                                "type": "string",
                                "pattern": "^[0-9a-f]{32}$",
                                "description": "id of a finished tus upload",
                            },
                        },
                        "additionalProperties": False,
                    },
                ]
            }
        }
    },
}


class SubmissionCreatedSchema(Schema):
    ticket_id = fields.String(required=True)
    status = fields.String(required=True)
    url = fields.String(required=True)


def _values() -> dict:
    if request.is_json:
        body = request.get_json(silent=True)
        if not isinstance(body, dict):
            raise UserFacingError(400, "The body must be a JSON object.", code="bad_request")
        return body
    form = request.form
    types = form.getlist("review_types")
    if len(types) == 1:
        types = types[0].split(",")
    return {
        "review_types": types,
        "description": form.get("description"),
        "hints": form.get("hints"),
        "repo_url": form.get("repo_url"),
        "upload_id": form.get("upload_id"),
    }


@blp.route("", methods=["POST"])
@blp.doc(requestBody=REQUEST_BODY)
@blp.response(201, SubmissionCreatedSchema)
@blp.alt_response(400, schema=ErrorResponseSchema, description="Unreadable body")
@blp.alt_response(401, schema=ErrorResponseSchema, description="Not signed in")
@blp.alt_response(403, schema=ErrorResponseSchema, description="Token lacks the write scope")
@blp.alt_response(404, schema=ErrorResponseSchema, description="Unknown upload_id")
@blp.alt_response(409, schema=ErrorResponseSchema, description="Upload not finished")
@blp.alt_response(413, schema=ErrorResponseSchema, description="File size exceeds limit")
@blp.alt_response(415, schema=ErrorResponseSchema, description="Invalid file format")
@blp.alt_response(422, schema=ErrorResponseSchema, description="Invalid request")
def create():  # type: ignore[no-untyped-def]
    api_auth_required(write=True)
    refuse_oversized_body(app_settings())
    archive = None if request.is_json else request.files.get("archive")
    ticket = create_submission(current_user(), _values(), archive)  # type: ignore[arg-type]
    return {
        "ticket_id": ticket.ticket_id,
        "status": ticket.status,
        "url": url_for("tickets.show", ticket_id=ticket.ticket_id, _external=True),
    }

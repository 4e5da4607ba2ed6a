"""``/api/v1/tickets/<ticket_id>/comments``: the review's inline comments as JSON.

Same rules as the viewer: only the developer, the assigned reviewer and admins see anything
(404 for everyone else); writes go through ``reviews.comments``.
"""

from __future__ import annotations

from functools import wraps

from flask import abort, request
from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from models.db import db
from models.reviews import COMMENT_CATEGORIES, SEVERITIES
from reviews import comments
from web.api import api_auth_required
from web.api.schemas import ErrorResponseSchema
from web.errors import UserFacingError
from web.ticket_access import code_ticket_or_404

blp = Blueprint(
    "comments",
    __name__,
    url_prefix="/api/v1/tickets/<ticket_id>/comments",
    description="Inline review comments",
)


class CommentSchema(Schema):
    id = fields.Integer(required=True)
    parent_id = fields.Integer(allow_none=True)
    author = fields.String(attribute="author_label", allow_none=True)
    path = fields.String(attribute="file_path", allow_none=True)
    line_start = fields.Integer(allow_none=True)
    line_end = fields.Integer(allow_none=True)
    body = fields.String(required=True)
    suggestion = fields.String(allow_none=True)
    category = fields.String()
    severity = fields.String()
    resolved = fields.Boolean()
    created_at = fields.DateTime()
    updated_at = fields.DateTime()


class ThreadSchema(CommentSchema):
    replies = fields.List(fields.Nested(CommentSchema))


class NewCommentSchema(Schema):
    path = fields.String(load_default=None)
    line_start = fields.Integer(load_default=None, validate=validate.Range(min=1))
    line_end = fields.Integer(load_default=None, validate=validate.Range(min=1))
    body = fields.String(required=True)
    category = fields.String(load_default="other", validate=validate.OneOf(COMMENT_CATEGORIES))
    severity = fields.String(load_default="info", validate=validate.OneOf(SEVERITIES))
    suggestion = fields.String(load_default=None, allow_none=True)
    parent_id = fields.Integer(load_default=None, metadata={"description": "reply to this thread"})


class CommentUpdateSchema(Schema):
    body = fields.String()
    suggestion = fields.String(allow_none=True)
    category = fields.String(validate=validate.OneOf(COMMENT_CATEGORIES))
    severity = fields.String(validate=validate.OneOf(SEVERITIES))
    resolved = fields.Boolean()


FIELDS = (
    "id", "parent_id", "author_label", "file_path", "line_start", "line_end", "body",
    "suggestion", "category", "severity", "resolved", "created_at", "updated_at",
)  # fmt: skip


def _thread_json(thread: comments.Thread) -> dict:
    """Raw values (the response schema serialises them, once)."""
    data = {name: getattr(thread.root, name) for name in FIELDS}
    data["replies"] = thread.replies
    return data


def authenticated(write: bool = False):  # type: ignore[no-untyped-def]
    """Check credentials before the body is parsed, so anonymous callers get 401, not 422."""

    def decorator(view):  # type: ignore[no-untyped-def]
        @wraps(view)
        def wrapper(*args, **kwargs):  # type: ignore[no-untyped-def]
            api_auth_required(write=write)
            return view(*args, **kwargs)

        return wrapper

    return decorator


@blp.before_request
def _only_visible_tickets() -> None:
    """404 for a ticket the caller may not see, before the body is even validated: an outsider
    must not be able to tell a real ticket (422 on a bad body) from a missing one (404)."""
    ticket_id = (request.view_args or {}).get("ticket_id")
    if ticket_id is not None:
        code_ticket_or_404(ticket_id)


def _ticket(ticket_id: str, write: bool = False):  # type: ignore[no-untyped-def]
    api_auth_required(write=write)
    return code_ticket_or_404(ticket_id)


@blp.route("")
@blp.response(200, ThreadSchema(many=True))
@blp.alt_response(404, schema=ErrorResponseSchema, description="No such ticket (or not yours)")
def list_comments(ticket_id: str):  # type: ignore[no-untyped-def]
    """Every thread of the ticket, ordered by file and line."""
    ticket, _user = _ticket(ticket_id)
    return [_thread_json(t) for t in comments.threads_for_ticket(db, ticket)]


@blp.route("", methods=["POST"])
@authenticated(write=True)
@blp.arguments(NewCommentSchema)
@blp.response(201, CommentSchema)
@blp.alt_response(422, schema=ErrorResponseSchema, description="The comment was refused")
def create_comment(data: dict, ticket_id: str):  # type: ignore[no-untyped-def]
    """Start a thread on a line or range (reviewer), or reply to one (``parent_id``)."""
    ticket, user = _ticket(ticket_id, write=True)
    try:
        if data["parent_id"] is not None:
            comment = comments.reply(db, ticket, user, data["parent_id"], data["body"])
        else:
            if not data["path"] or data["line_start"] is None:
                raise comments.CommentError("A new comment needs a path and a line_start.")
            comment = comments.add_comment(
                db,
                ticket,
                user,
                path=data["path"],
                line_start=data["line_start"],
                line_end=data["line_end"],
                body=data["body"],
                category=data["category"],
                severity=data["severity"],
                suggestion=data["suggestion"],
            )
    except comments.CommentNotFound:
        db.rollback()
        abort(404)
    except comments.CommentError as exc:
        db.rollback()
        raise UserFacingError(422, str(exc), code="comment_refused") from None
    db.commit()
    return comment


@blp.route("/<int:comment_id>", methods=["PATCH"])
@authenticated(write=True)
@blp.arguments(CommentUpdateSchema)
@blp.response(200, CommentSchema)
@blp.alt_response(422, schema=ErrorResponseSchema, description="The change was refused")
def update_comment(data: dict, ticket_id: str, comment_id: int):  # type: ignore[no-untyped-def]
    """Edit your comment, or resolve / re-open a thread."""
    ticket, user = _ticket(ticket_id, write=True)
    try:
        comment = comments.get_comment(db, ticket, user, comment_id)
        if {"body", "suggestion", "category", "severity"} & set(data):
            comments.edit_comment(
                db,
                ticket,
                user,
                comment_id,
                body=data.get("body"),
                suggestion=(data["suggestion"] or "") if "suggestion" in data else None,
                category=data.get("category"),
                severity=data.get("severity"),
            )
        if "resolved" in data:
            comments.set_resolved(db, ticket, user, comment_id, data["resolved"])
    except comments.CommentNotFound:
        db.rollback()
        abort(404)
    except comments.CommentError as exc:
        db.rollback()
        raise UserFacingError(422, str(exc), code="comment_refused") from None
    db.commit()
    return comment

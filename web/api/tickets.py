"""``GET /api/v1/tickets/<ticket_id>`` and ``POST .../retry``: a ticket's progress."""

from __future__ import annotations

from flask import url_for
from flask_smorest import Blueprint
from marshmallow import Schema, fields

from intake.jobs import retry_submission
from models.db import db
from policy import can_retry_ticket
from reviews.state import Actor
from web.api import api_auth_required
from web.api.schemas import ErrorResponseSchema
from web.current import client_ip, current_user
from web.errors import UserFacingError
from web.submitting import ticket_for, ticket_view

blp = Blueprint("tickets_api", __name__, url_prefix="/api/v1/tickets", description="Tickets")


@blp.record_once
def _exempt_from_form_csrf(state) -> None:  # type: ignore[no-untyped-def]
    state.app.extensions["csrf"].exempt(blp)


class TicketSchema(Schema):
    ticket_id = fields.String(required=True)
    status = fields.String(required=True)
    status_reason = fields.String(allow_none=True)
    error_code = fields.String(allow_none=True)
    url = fields.String(required=True)
    source = fields.String()
    review_types = fields.List(fields.String())
    languages = fields.List(fields.String())
    frameworks = fields.List(fields.String())
    warnings = fields.List(fields.String())
    scan_engine = fields.String(allow_none=True)
    clamav_used = fields.Boolean(allow_none=True)
    archive_name = fields.String(allow_none=True)
    repo_url = fields.String(allow_none=True)
    submitted_at = fields.String(allow_none=True)
    can_retry = fields.Boolean()


def _view(ticket):  # type: ignore[no-untyped-def]
    url = url_for("tickets.show", ticket_id=ticket.ticket_id, _external=True)
    return ticket_view(current_user(), ticket, url)


@blp.route("/<ticket_id>")
@blp.response(200, TicketSchema)
@blp.alt_response(401, schema=ErrorResponseSchema, description="Not signed in")
@blp.alt_response(404, schema=ErrorResponseSchema, description="No such ticket (or not yours)")
def get_ticket(ticket_id: str):  # type: ignore[no-untyped-def]
    api_auth_required()
    return _view(ticket_for(current_user(), ticket_id))


@blp.route("/<ticket_id>/retry", methods=["POST"])
@blp.response(202, TicketSchema)
@blp.alt_response(401, schema=ErrorResponseSchema, description="Not signed in")
@blp.alt_response(403, schema=ErrorResponseSchema, description="Token lacks the write scope")
@blp.alt_response(404, schema=ErrorResponseSchema, description="No such ticket (or not yours)")
@blp.alt_response(409, schema=ErrorResponseSchema, description="Nothing to retry")
def retry_ticket(ticket_id: str):  # type: ignore[no-untyped-def]
    api_auth_required(write=True)
    user = current_user()
    ticket = ticket_for(user, ticket_id)
    if not can_retry_ticket(user, ticket):
        raise UserFacingError(404, "We could not find that ticket.", code="not_found")
    if not retry_submission(db, ticket, actor=Actor(user_id=user.id, ip=client_ip())):
        raise UserFacingError(409, "There is nothing to retry for this ticket.", code="conflict")
    db.commit()
    return _view(ticket)

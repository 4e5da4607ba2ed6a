"""``/api/v1/offers``: a reviewer's offers and their answers; ``.../tickets/<id>/rematch``."""

from __future__ import annotations

from typing import Any

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import select

import policy
from matching.jobs import rematch
from matching.offers import OfferError, accept_offer, decline_offer
from models.db import db
from models.offers import Offer, OfferStatus
from models.tickets import Submission, TicketStatus
from reviews.state import Actor
from web.api import api_auth_required
from web.api.schemas import ErrorResponseSchema
from web.current import client_ip, current_user
from web.errors import UserFacingError

blp = Blueprint("offers_api", __name__, url_prefix="/api/v1", description="Review offers")


class OfferSchema(Schema):
    id = fields.Integer(required=True)
    ticket_id = fields.String(required=True)
    status = fields.String(required=True)
    review_types = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), required=True)
    created_at = fields.DateTime(required=True)
    expires_at = fields.DateTime(required=True)
    decided_at = fields.DateTime(allow_none=True)
    reason = fields.String(required=True)
    explanation = fields.Dict(required=True)


class OfferListSchema(Schema):
    offers = fields.List(fields.Nested(OfferSchema), required=True)


class OfferQuerySchema(Schema):
    status = fields.String(validate=validate.OneOf([s.value for s in OfferStatus]))


class DeclineSchema(Schema):
    reason = fields.String(load_default="", validate=validate.Length(max=1000))


class RematchSchema(Schema):
    ticket_id = fields.String(required=True)
    status = fields.String(required=True)


def offer_json(offer: Offer) -> dict[str, Any]:
    ticket = offer.submission
    return {
        "id": offer.id,
        "ticket_id": ticket.ticket_id,
        "status": offer.status,
        "review_types": list(ticket.review_types or []),
        "languages": list(ticket.languages or []),
        "created_at": offer.created_at,
        "expires_at": offer.expires_at,
        "decided_at": offer.decided_at,
        "reason": offer.reason or "",
        "explanation": dict(offer.explanation or {}),
    }


def own_offer(offer_id: int) -> Offer:
    offer = db.get(Offer, offer_id)
    user = current_user()
    if offer is None or user is None or offer.reviewer_id != user.id:
        raise UserFacingError(404, "We could not find that offer.", code="not_found")
    return offer


def answer(action: Any, offer_id: int, *args: Any) -> dict[str, Any]:
    api_auth_required(write=True)
    offer = own_offer(offer_id)
    try:
        action(db, offer.id, current_user().id, *args)
    except OfferError as exc:
        db.rollback()
        raise UserFacingError(409, str(exc), code="offer_closed") from exc
    db.commit()
    return offer_json(offer)


ERRORS = [(401, "Not signed in"), (404, "No such offer of yours"), (409, "The offer is closed")]


def document_errors(view: Any) -> Any:
    for status, description in ERRORS:
        view = blp.alt_response(status, schema=ErrorResponseSchema, description=description)(view)
    return view


@blp.route("/offers")
@blp.arguments(OfferQuerySchema, location="query")
@blp.response(200, OfferListSchema)
@blp.alt_response(401, schema=ErrorResponseSchema, description="Not signed in")
def list_offers(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The signed-in reviewer's offers, newest first."""
    api_auth_required()
    statement = select(Offer).where(Offer.reviewer_id == current_user().id)
    if query.get("status"):
        statement = statement.where(Offer.status == query["status"])
    offers = db.scalars(statement.order_by(Offer.created_at.desc()).limit(200)).all()
    return {"offers": [offer_json(o) for o in offers]}


@blp.route("/offers/<int:offer_id>")
@blp.response(200, OfferSchema)
@document_errors
def get_offer(offer_id: int):  # type: ignore[no-untyped-def]
    api_auth_required()
    return offer_json(own_offer(offer_id))


@blp.route("/offers/<int:offer_id>/accept", methods=["POST"])
@blp.response(200, OfferSchema)
@document_errors
def accept(offer_id: int):  # type: ignore[no-untyped-def]
    """Take the review: the ticket goes ``in_review`` with you as its reviewer."""
    return answer(accept_offer, offer_id)


@blp.route("/offers/<int:offer_id>/decline", methods=["POST"])
@blp.arguments(DeclineSchema)
@blp.response(200, OfferSchema)
@document_errors
def decline(body: dict[str, Any], offer_id: int):  # type: ignore[no-untyped-def]
    """Say no (optionally why); the ticket is offered to someone else."""
    return answer(decline_offer, offer_id, body.get("reason", "").strip())


@blp.route("/tickets/<ticket_id>/rematch", methods=["POST"])
@blp.response(200, RematchSchema)
@blp.alt_response(401, schema=ErrorResponseSchema, description="Not signed in")
@blp.alt_response(404, schema=ErrorResponseSchema, description="No such ticket of yours")
@blp.alt_response(409, schema=ErrorResponseSchema, description="Not waiting for a reviewer")
def rematch_ticket(ticket_id: str):  # type: ignore[no-untyped-def]
    """Look for a reviewer again for an ``unmatched`` ticket."""
    api_auth_required(write=True)
    user = current_user()
    ticket = db.scalar(select(Submission).where(Submission.ticket_id == ticket_id))
    if ticket is None or not policy.can_view_ticket(user, ticket):
        raise UserFacingError(404, "We could not find that ticket.", code="not_found")
    if not policy.can_retry_ticket(user, ticket):
        raise UserFacingError(404, "We could not find that ticket.", code="not_found")
    if ticket.status != TicketStatus.UNMATCHED.value:
        raise UserFacingError(
            409,
            "This ticket is not waiting for a reviewer, so there is nothing to retry.",
            code="not_unmatched",
        )
    rematch(db, ticket, Actor(user_id=user.id, ip=client_ip()))
    db.commit()
    return {"ticket_id": ticket.ticket_id, "status": ticket.status}

"""``/api/v1/tokens``: list, create (the secret is in the answer once) and revoke tokens."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate

from accounts.tokens import SCOPES, active_tokens, issue_token, revoke_owned_token
from models.db import db
from web.api import api_auth_required
from web.api.schemas import ErrorResponseSchema
from web.current import client_ip, current_token, current_user
from web.errors import UserFacingError

blp = Blueprint(
    "api_tokens", __name__, url_prefix="/api/v1/tokens", description="Personal API tokens"
)


class TokenSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    prefix = fields.String(required=True)
    scopes = fields.List(fields.String(), required=True)
    created_at = fields.DateTime(required=True)
    last_used_at = fields.DateTime(allow_none=True)


class NewTokenSchema(TokenSchema):
    token = fields.String(required=True, metadata={"description": "Shown once; store it now."})


class TokenRequestSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    scopes = fields.List(
        fields.String(validate=validate.OneOf(SCOPES)),
        load_default=lambda: ["read"],
        validate=validate.Length(min=1, max=len(SCOPES)),
    )


@blp.route("", methods=["GET"])
@blp.response(200, TokenSchema(many=True))
@blp.alt_response(401, schema=ErrorResponseSchema, description="Not signed in")
def list_tokens():  # type: ignore[no-untyped-def]
    api_auth_required()
    return active_tokens(db, current_user().id)


@blp.route("", methods=["POST"])
@blp.arguments(TokenRequestSchema)
@blp.response(201, NewTokenSchema)
@blp.alt_response(401, schema=ErrorResponseSchema, description="Not signed in")
@blp.alt_response(403, schema=ErrorResponseSchema, description="Token lacks the write scope")
def create_token_view(data):  # type: ignore[no-untyped-def]
    api_auth_required(write=True)
    user = current_user()
    scopes = sorted(set(data["scopes"]))
    caller = current_token()
    if caller is not None and not set(scopes) <= set(caller.scopes or []):
        raise UserFacingError(
            403, "A token cannot create a token with more access than it has.", code="forbidden"
        )
    token, secret = issue_token(db, user, name=data["name"].strip(), scopes=scopes, ip=client_ip())
    db.commit()
    return {
        "id": token.id,
        "name": token.name,
        "prefix": token.prefix,
        "scopes": token.scopes,
        "created_at": token.created_at,
        "last_used_at": None,
        "token": secret,
    }


@blp.route("/<int:token_id>", methods=["DELETE"])
@blp.response(204)
@blp.alt_response(404, schema=ErrorResponseSchema, description="No such token")
def revoke_token_view(token_id: int):  # type: ignore[no-untyped-def]
    api_auth_required(write=True)
    user = current_user()
    token = revoke_owned_token(db, user.id, token_id, ip=client_ip())
    if token is None:
        raise UserFacingError(404, "There is no such token.")
    db.commit()
    return None

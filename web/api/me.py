"""``/api/v1/me``: who the credentials belong to (a cheap way to test a token)."""

from __future__ import annotations

from flask_smorest import Blueprint

from web.api import api_auth_required
from web.api.schemas import ErrorResponseSchema, UserSchema
from web.current import current_user

blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="The signed-in account")


@blp.route("")
@blp.response(200, UserSchema)
@blp.alt_response(401, schema=ErrorResponseSchema, description="Not signed in")
def me():  # type: ignore[no-untyped-def]
    api_auth_required()
    user = current_user()
    return {"id": user.id, "email": user.email, "name": user.name, "roles": user.roles}

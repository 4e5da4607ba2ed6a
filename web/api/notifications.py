"""``/api/v1/notifications``: the same alerts as the navbar menu, for API clients."""

from __future__ import annotations

from flask_smorest import Blueprint
from marshmallow import Schema, fields, validate
from sqlalchemy import update

from models.base import utcnow
from models.db import db
from models.notifications import Notification
from notify.alerts import recent_alerts
from web.api import api_auth_required
from web.api.schemas import ErrorResponseSchema
from web.current import current_user
from web.errors import UserFacingError
from web.notifications import unread_count

blp = Blueprint(
    "notifications_api",
    __name__,
    url_prefix="/api/v1/notifications",
    description="On-site alerts of the signed-in account",
)


class AlertSchema(Schema):
    id = fields.Integer(required=True)
    event = fields.String(required=True)
    title = fields.String(required=True)
    body = fields.String(required=True)
    link = fields.String(allow_none=True)
    created_at = fields.DateTime(required=True)
    read = fields.Boolean(required=True)


class AlertListSchema(Schema):
    unread = fields.Integer(required=True)
    items = fields.List(fields.Nested(AlertSchema), required=True)


class AlertQuerySchema(Schema):
    unread_only = fields.Boolean(load_default=False)
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


class UnreadSchema(Schema):
    unread = fields.Integer(required=True)


def _alert(alert: Notification) -> dict[str, object]:
    return {
        "id": alert.id,
        "event": alert.event,
        "title": alert.title,
        "body": alert.body,
        "link": alert.link,
        "created_at": alert.created_at,
        "read": alert.read_at is not None,
    }


@blp.route("")
@blp.arguments(AlertQuerySchema, location="query")
@blp.response(200, AlertListSchema)
@blp.alt_response(401, schema=ErrorResponseSchema, description="Not signed in")
def list_alerts(args: dict[str, object]):  # type: ignore[no-untyped-def]
    """Newest first."""
    api_auth_required()
    user = current_user()
    items = recent_alerts(
        db,
        user.id,
        int(args["limit"]),
        unread_only=bool(args["unread_only"]),  # type: ignore[call-overload]
    )
    return {"unread": unread_count(user.id), "items": [_alert(a) for a in items]}


@blp.route("/<int:alert_id>/read", methods=["POST"])
@blp.response(200, UnreadSchema)
@blp.alt_response(401, schema=ErrorResponseSchema, description="Not signed in")
@blp.alt_response(404, schema=ErrorResponseSchema, description="No such alert")
def mark_read(alert_id: int):  # type: ignore[no-untyped-def]
    api_auth_required(write=True)
    user = current_user()
    alert = db.get(Notification, alert_id)
    if alert is None or alert.user_id != user.id:
        raise UserFacingError(404, "We could not find that alert.", code="not_found")
    if alert.read_at is None:
        alert.read_at = utcnow()
        db.commit()
    return {"unread": unread_count(user.id)}


@blp.route("/read-all", methods=["POST"])
@blp.response(200, UnreadSchema)
@blp.alt_response(401, schema=ErrorResponseSchema, description="Not signed in")
def mark_all_read():  # type: ignore[no-untyped-def]
    api_auth_required(write=True)
    user = current_user()
    db.execute(
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    db.commit()
    return {"unread": 0}

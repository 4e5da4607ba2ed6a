"""What both receivers share: reading the body safely, and storing a delivery exactly once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, jsonify, request
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from jobs.outbox import enqueue
from models.db import db
from models.forges import WebhookDelivery
from web.errors import UserFacingError

PROCESS_JOB = "bot.jobs.process_delivery"


@dataclass(frozen=True)
class Incoming:
    forge: str
    delivery_id: str
    event: str
    payload: dict[str, Any]
    raw: str


def read_body() -> bytes:
    """The raw body, refused with 413 past WEBHOOK_MAX_BYTES without reading more than that."""
    limit = current_app.config["SETTINGS"].webhook_max_bytes
    declared = request.content_length
    if declared is not None and declared > limit:
        raise UserFacingError(
            413, f"The payload is larger than {limit} bytes.", code="payload_too_large"
        )
    body = request.stream.read(limit + 1)
    if len(body) > limit:
        raise UserFacingError(
            413, f"The payload is larger than {limit} bytes.", code="payload_too_large"
        )
    return body


def parse_json(body: bytes) -> dict[str, Any]:
    try:
        payload = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise UserFacingError(
            400, "The body must be a JSON object (content type application/json).", code="not_json"
        ) from None
    if not isinstance(payload, dict):
        raise UserFacingError(400, "The body must be a JSON object.", code="not_json")
    return payload


def accept(incoming: Incoming, installation_ref: str | None) -> Response:
    """Store the delivery and enqueue its processing, or answer 200 for one seen before."""
    session = db()
    if _already_stored(incoming):
        return _answer(200, "duplicate", incoming.delivery_id)
    action = incoming.payload.get("action") or _gitlab_action(incoming.payload)
    row = WebhookDelivery(
        forge=incoming.forge,
        delivery_id=incoming.delivery_id,
        event=incoming.event,
        action=str(action)[:64] if action else None,
        installation_ref=installation_ref,
        payload=incoming.raw,
        status="received",
    )
    try:
        session.add(row)
        session.flush()
        enqueue(session, PROCESS_JOB, key=f"delivery:{row.id}", delivery_id=row.id)
        session.commit()
    except IntegrityError:  # the same delivery raced in through another worker
        session.rollback()
        return _answer(200, "duplicate", incoming.delivery_id)
    return _answer(202, "accepted", incoming.delivery_id)


def _already_stored(incoming: Incoming) -> bool:
    return (
        db.scalar(
            select(WebhookDelivery.id).where(
                WebhookDelivery.forge == incoming.forge,
                WebhookDelivery.delivery_id == incoming.delivery_id,
            )
        )
        is not None
    )


def _gitlab_action(payload: dict[str, Any]) -> str | None:
    attributes = payload.get("object_attributes")
    if isinstance(attributes, dict):
        return attributes.get("action") or attributes.get("noteable_type")
    return None


def _answer(status: int, outcome: str, delivery_id: str) -> Response:
    response = jsonify({"status": outcome, "delivery": delivery_id})
    response.status_code = status
    return response


def exempt_from_csrf(blueprint) -> None:  # type: ignore[no-untyped-def]
    """Forges sign their requests instead of carrying a CSRF token; jobs this blueprint
    enqueues see the app's settings."""

    def _exempt(state) -> None:  # type: ignore[no-untyped-def]
        from forges.context import configure

        configure(state.app.config["SETTINGS"])
        csrf = state.app.extensions.get("csrf")
        if csrf is not None:
            csrf.exempt(blueprint)

    blueprint.record_once(_exempt)

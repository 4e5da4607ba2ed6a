"""What both receivers share: reading the body safely, and storing a delivery exactly once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import orjson
from flask import Response, current_app, request
from sqlalchemy.exc import DBAPIError, IntegrityError

from jobs.outbox import enqueue
from models.base import utcnow
from models.db import autocommit_engine, db, is_postgres
from models.forges import WebhookDelivery
from models.outbox import Outbox, OutboxStatus
from web.errors import UserFacingError

PROCESS_JOB = "bot.jobs.process_delivery"
_PARSED = "vetted.webhook_payload"


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
    # get_data, not the raw stream: the rate limiter may already have read the body (to key
    # on the installation), and werkzeug caches it; its stream is bounded by the app's limit.
    declared = request.content_length
    too_large = declared is not None and declared > limit
    body = b"" if too_large else request.get_data(cache=True)
    if too_large or len(body) > limit:
        raise UserFacingError(
            413, f"The payload is larger than {limit} bytes.", code="payload_too_large"
        )
    return body


def request_json() -> dict[str, Any]:
    """The request's body as a JSON object, parsed once per request (the rate limiter keys on
    it before the receiver stores it). Call ``read_body`` first to enforce the size limit.

    orjson, not the standard library: three times faster on a 28 kB pull_request payload, and it
    refuses what JSON does not allow (NaN, lone surrogates, nesting past 1,024 levels)."""
    cached = request.environ.get(_PARSED)  # per request (an app context, and g, may outlive one)
    if cached is not None:
        return cached
    try:
        payload = orjson.loads(request.get_data(cache=True))
    except orjson.JSONDecodeError as exc:
        if str(exc).startswith("depth limit exceeded"):
            raise UserFacingError(
                400, "The JSON body is nested too deeply.", code="invalid_json"
            ) from None
        raise UserFacingError(
            400, "The body must be a JSON object (content type application/json).", code="not_json"
        ) from None
    if not isinstance(payload, dict):
        raise UserFacingError(400, "The body must be a JSON object.", code="not_json")
    request.environ[_PARSED] = payload
    return payload


def accept(incoming: Incoming, installation_ref: str | None) -> Response:
    """Store the delivery and enqueue its processing, or answer 200 for one seen before."""
    action = incoming.payload.get("action") or _gitlab_action(incoming.payload)
    values = {
        "forge": incoming.forge,
        "delivery_id": incoming.delivery_id,
        "event": incoming.event,
        "action": str(action)[:64] if action else None,
        "installation_ref": installation_ref,
        "payload": incoming.raw,
        "status": "received",
        "received_at": utcnow(),
    }
    stored = _store_postgres(values) if is_postgres() else _store_orm(values)
    if not stored:
        return _answer(200, "duplicate", incoming.delivery_id)
    return _answer(202, "accepted", incoming.delivery_id)


# Insert the delivery unless seen, and its outbox row, in one statement. ``ON CONFLICT DO
# NOTHING`` makes a redelivery insert nothing at all; one statement in autocommit is atomic, so
# a delivery is never stored without its job. It is prepared once per connection: planning it
# cost PostgreSQL about a third of running it, on the busiest write Vetted has.
_STORE = "vetted_store_delivery"
_PREPARE = f"""PREPARE {_STORE} (text, text, text, text, text, bytea, timestamptz) AS
WITH stored AS (
    INSERT INTO {WebhookDelivery.__tablename__}
        (forge, delivery_id, event, action, installation_ref, payload, status, received_at)
    VALUES ($1, $2, $3, $4, $5, $6, 'received', $7)
    ON CONFLICT (forge, delivery_id) DO NOTHING
    RETURNING id
)
INSERT INTO {Outbox.__tablename__} (job, kwargs, status, attempts, run_after, created_at)
SELECT '{PROCESS_JOB}', jsonb_build_object('delivery_id', stored.id),
       '{OutboxStatus.PENDING.value}', 0, $7, $7
FROM stored"""  # noqa: S608 - names and constants of our own, no input
_EXECUTE = f"EXECUTE {_STORE} (%s, %s, %s, %s, %s, %s, %s)"
# The column's own type seals the payload, so its label and compression live in one place.
_PAYLOAD = WebhookDelivery.__table__.c.payload.type


def _store_postgres(values: dict[str, Any]) -> bool:
    sealed = _PAYLOAD.process_bind_param(values["payload"], None)
    params = (
        values["forge"],
        values["delivery_id"],
        values["event"],
        values["action"],
        values["installation_ref"],
        sealed,
        values["received_at"],
    )
    for attempt in (1, 2):
        try:
            with autocommit_engine().connect() as connection:
                info = connection.connection.info
                if _STORE not in info:
                    connection.exec_driver_sql(_PREPARE)
                    info[_STORE] = True
                return connection.exec_driver_sql(_EXECUTE, params).rowcount == 1
        except DBAPIError as exc:
            if attempt == 2 or not exc.connection_invalidated:
                raise
    return False  # pragma: no cover - the loop returns or raises


def _store_orm(values: dict[str, Any]) -> bool:
    session = db()
    row = WebhookDelivery(**values)
    try:
        session.add(row)
        session.flush()
        enqueue(session, PROCESS_JOB, delivery_id=row.id)
        session.commit()
    except IntegrityError:  # seen before, or raced in through another worker
        session.rollback()
        return False
    return True


def _gitlab_action(payload: dict[str, Any]) -> str | None:
    attributes = payload.get("object_attributes")
    if isinstance(attributes, dict):
        return attributes.get("action") or attributes.get("noteable_type")
    return None


def _answer(status: int, outcome: str, delivery_id: str) -> Response:
    body = orjson.dumps({"status": outcome, "delivery": delivery_id})
    return Response(body, status=status, mimetype="application/json")


def exempt_from_csrf(blueprint) -> None:  # type: ignore[no-untyped-def]
    """Forges sign their requests instead of carrying a CSRF token."""

    def _exempt(state) -> None:  # type: ignore[no-untyped-def]
        csrf = state.app.extensions.get("csrf")
        if csrf is not None:
            csrf.exempt(blueprint)

    blueprint.record_once(_exempt)

"""What both receivers share: reading the body safely, and storing a delivery exactly once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from flask import Response, current_app, jsonify, request
from sqlalchemy import (
    DateTime,
    Engine,
    Integer,
    String,
    bindparam,
    create_engine,
    func,
    literal,
    select,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.exc import DBAPIError, IntegrityError

from jobs.outbox import enqueue
from models.base import utcnow
from models.db import db, get_engine, is_postgres
from models.forges import WebhookDelivery
from models.outbox import Outbox, OutboxStatus
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
    # get_data, not the raw stream: the rate limiter may already have read the body (to key
    # on the installation), and werkzeug caches it; its stream is bounded by the app's limit.
    body = request.get_data(cache=True)
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
    except RecursionError:
        raise UserFacingError(
            400, "The JSON body is nested too deeply.", code="invalid_json"
        ) from None
    if not isinstance(payload, dict):
        raise UserFacingError(400, "The body must be a JSON object.", code="not_json")
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


def _insert_statement():  # type: ignore[no-untyped-def]
    """Insert the delivery unless seen, and its outbox row, in one statement (built once).

    ``ON CONFLICT DO NOTHING`` makes a redelivery insert nothing at all; one statement in
    autocommit is atomic, so a delivery is never stored without its job.
    """
    deliveries, outbox = WebhookDelivery.__table__, Outbox.__table__
    columns = ("forge", "delivery_id", "event", "action", "installation_ref", "payload")
    stored = (
        pg_insert(deliveries)
        .values(
            **{name: bindparam(name, type_=deliveries.c[name].type) for name in columns},
            status="received",
            received_at=bindparam("now", type_=DateTime),
        )
        .on_conflict_do_nothing(index_elements=["forge", "delivery_id"])
        .returning(deliveries.c.id)
        .cte("stored")
    )
    job = select(
        literal(PROCESS_JOB, String),
        func.jsonb_build_object("delivery_id", stored.c.id),
        literal(OutboxStatus.PENDING.value, String),
        literal(0, Integer),
        bindparam("now", type_=DateTime),
        bindparam("now", type_=DateTime),
    ).select_from(stored)
    return outbox.insert().from_select(
        ["job", "kwargs", "status", "attempts", "run_after", "created_at"], job
    )


_STATEMENT = None
_ENGINES: dict[str, Engine] = {}


def _fast_engine() -> Engine:
    """The app's database without a ping per checkout (a round trip per webhook): a stale
    connection is instead caught by the single retry in ``_store_postgres``."""
    url = get_engine().url
    key = url.render_as_string(hide_password=False)
    if key not in _ENGINES:
        _ENGINES[key] = create_engine(
            url, pool_size=5, max_overflow=10, pool_recycle=1800, isolation_level="AUTOCOMMIT"
        )
    return _ENGINES[key]


def _store_postgres(values: dict[str, Any]) -> bool:
    global _STATEMENT
    if _STATEMENT is None:
        _STATEMENT = _insert_statement()
    params = {**values, "now": values["received_at"]}
    for attempt in (1, 2):
        try:
            with _fast_engine().connect() as connection:
                return connection.execute(_STATEMENT, params).rowcount == 1
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
    response = jsonify({"status": outcome, "delivery": delivery_id})
    response.status_code = status
    return response


def exempt_from_csrf(blueprint) -> None:  # type: ignore[no-untyped-def]
    """Forges sign their requests instead of carrying a CSRF token."""

    def _exempt(state) -> None:  # type: ignore[no-untyped-def]
        csrf = state.app.extensions.get("csrf")
        if csrf is not None:
            csrf.exempt(blueprint)

    blueprint.record_once(_exempt)

"""Processing a stored webhook delivery: once, in one transaction, whatever the forge sent."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot import github_events, gitlab_events
from bot.forge import ForgeGone
from jobs.errors import PermanentJobError
from models.base import utcnow
from models.db import session_scope
from models.forges import WebhookDelivery
from settings import Settings, current_settings

log = logging.getLogger(__name__)

Handler = Callable[[Session, Settings, WebhookDelivery, dict[str, Any]], str]

HANDLERS: dict[tuple[str, str], Handler] = {
    **{("github", event): fn for event, fn in github_events.HANDLERS.items()},
    **{("gitlab", event): fn for event, fn in gitlab_events.HANDLERS.items()},
}


def handled_events(forge: str) -> set[str]:
    return {event for f, event in HANDLERS if f == forge}


def _lock(session: Session, delivery_id: int) -> WebhookDelivery | None:
    query = select(WebhookDelivery).where(WebhookDelivery.id == delivery_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query)


def process(delivery_id: int) -> None:
    settings = current_settings()
    with session_scope() as session:
        row = _lock(session, delivery_id)
        if row is None or row.status != "received":
            return  # processed already (a re-run of the job changes nothing)
        handler = HANDLERS.get((row.forge, row.event))
        outcome = "ignored"
        if handler is not None:
            try:
                with session.begin_nested():
                    outcome = handler(session, settings, row, json.loads(row.payload))
            except (ForgeGone, PermanentJobError) as exc:
                log.warning("delivery %s not processed: %s", row.delivery_id, exc)
                outcome, row.error = "failed", str(exc)[:2000]
        row.status = outcome
        row.processed_at = utcnow()

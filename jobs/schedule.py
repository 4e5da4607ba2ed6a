"""Periodic work, written into the outbox once per time slot whoever ticks first.

Every worker ticks; the outbox key ``periodic:<job>:<slot>`` makes the slot's row unique, so
running several workers never runs a periodic job more than once per period.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from jobs.outbox import enqueue
from models.base import utcnow
from models.db import session_scope

# dotted job name -> period in seconds. Each room adds the periodic work it owns.
PERIODIC: dict[str, int] = {
    "jobs.maintenance.prune_outbox": 3600,
    "intake.jobs.cleanup_uploads": 900,
    "matching.jobs.expire_offers": 60,
    "matching.jobs.retry_unmatched": 300,
    "notify.jobs.send_admin_digest": 3600,
}


def tick(session: Session, now: datetime | None = None) -> int:
    """Write this slot's row for every periodic job; returns how many were new."""
    now = now or utcnow()
    written = 0
    for name, period in PERIODIC.items():
        slot = int(now.timestamp() // period)
        if enqueue(session, name, key=f"periodic:{name}:{slot}") is not None:
            written += 1
    return written


def tick_now() -> int:
    with session_scope() as session:
        return tick(session)

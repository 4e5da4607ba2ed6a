"""Housekeeping jobs for the pipeline itself."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from models.base import utcnow
from models.db import session_scope
from models.outbox import Outbox, OutboxStatus

KEEP_DONE_FOR = timedelta(days=7)


def prune_outbox() -> int:
    """Finished rows are kept a week for inspection, then deleted; failed rows stay for admins."""
    with session_scope() as session:
        result = session.execute(
            delete(Outbox).where(
                Outbox.status == OutboxStatus.DONE.value,
                Outbox.finished_at < utcnow() - KEEP_DONE_FOR,
            )
        )
        return result.rowcount or 0

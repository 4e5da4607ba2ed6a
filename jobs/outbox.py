"""Writing work into the outbox, inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from models.base import utcnow
from models.outbox import Outbox

JobRef = str | Callable[..., Any]


def job_name(job: JobRef) -> str:
    if isinstance(job, str):
        return job
    return f"{job.__module__}.{job.__qualname__}"


def enqueue(
    session: Session,
    job: JobRef,
    *,
    key: str | None = None,
    run_after: datetime | None = None,
    **kwargs: Any,
) -> Outbox | None:
    """Record that ``job(**kwargs)`` must run once this transaction commits.

    ``kwargs`` must be JSON values (ids, not objects). With a ``key``, a second call with the same
    key — from this process or another — writes nothing and returns ``None``.
    """
    if key is not None:
        existing = session.scalar(select(Outbox.id).where(Outbox.key == key))
        if existing is not None:
            return None
    row = Outbox(job=job_name(job), kwargs=kwargs, key=key, run_after=run_after or utcnow())
    if key is None:
        session.add(row)
        session.flush()
        return row
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return None
    return row

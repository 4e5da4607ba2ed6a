"""Real, importable jobs the pipeline tests run (they write rows, so their effect is visible)."""

from __future__ import annotations

from sqlalchemy import func, select

from jobs.errors import PermanentJobError, RetryLater
from models.audit import AuditEvent, record_audit
from models.db import session_scope


def record(tag: str) -> None:
    """Idempotent per tag: running it twice writes one row (as production jobs must)."""
    with session_scope() as session:
        exists = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.object_id == tag)
        )
        if not exists:
            record_audit(session, "test.job", object_type="test", object_id=tag)


def count_runs(tag: str) -> None:
    """Not idempotent on purpose: counts every run, to prove rows run exactly once."""
    with session_scope() as session:
        record_audit(session, "test.run", object_type="test", object_id=tag)


def fail(message: str) -> None:
    raise RuntimeError(message)


def fail_permanently(message: str) -> None:
    raise PermanentJobError(message)


def wait(reason: str) -> None:
    raise RetryLater(reason, delay=60)


def runs(session, tag: str) -> int:
    return session.scalar(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.object_id == tag)
    )


def count_runs_slowly(tag: str, seconds: float) -> None:
    """``count_runs`` that takes a while: long enough to pull Redis away while it runs."""
    import time

    time.sleep(seconds)
    count_runs(tag)


def fail_first_time(tag: str) -> None:
    """Fails on its first run and succeeds on the next; every run is counted."""
    with session_scope() as session:
        first = runs(session, tag) == 0
        record_audit(session, "test.run", object_type="test", object_id=tag)
    if first:
        raise RuntimeError("first run fails")

"""Real, importable jobs the pipeline tests run (they write rows, so their effect is visible)."""

from __future__ import annotations

import time

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


def slow_count(tag: str, seconds: float) -> None:
    """Notes that it started, works for ``seconds``, then counts a run (like ``count_runs``):
    a run cut short leaves a start and no run, so a test sees how often it began and finished."""
    with session_scope() as session:
        record_audit(session, "test.started", object_type="test", object_id=f"{tag}:started")
    time.sleep(seconds)
    count_runs(tag)


def starts(session, tag: str) -> int:
    return runs(session, f"{tag}:started")


def fail(message: str) -> None:
    raise RuntimeError(message)


def failed_rq_job(queue, message: str):  # type: ignore[no-untyped-def]
    """A job that really failed with ``message`` on a real (in-process) rq worker."""
    from rq import SimpleWorker

    job = queue.enqueue("tests.support.jobs.fail", message)
    SimpleWorker([queue], connection=queue.connection).work(burst=True)
    assert job.get_status(refresh=True) == "failed"
    return job


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
    time.sleep(seconds)
    count_runs(tag)


def fail_first_time(tag: str) -> None:
    """Fails on its first run and succeeds on the next; every run is counted."""
    with session_scope() as session:
        first = runs(session, tag) == 0
        record_audit(session, "test.run", object_type="test", object_id=tag)
    if first:
        raise RuntimeError("first run fails")

"""Running one outbox row: claim it, call its job, record the outcome.

The claim is an atomic conditional update, so however many times a row is handed to workers
(re-dispatch after a lost job, two dispatchers racing), only one run proceeds at a time and a
finished row never runs again. Jobs themselves are written to be idempotent for the remaining
window (a worker killed after the job's effects but before the row was marked done).
"""

from __future__ import annotations

import importlib
import logging
import random
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from sqlalchemy import update

from jobs.errors import PermanentJobError, RetryLater
from metrics import JOB_DURATION, JOBS
from models.base import utcnow
from models.db import session_scope
from models.outbox import Outbox, OutboxStatus

log = logging.getLogger(__name__)

CLAIMABLE = (OutboxStatus.PENDING.value, OutboxStatus.ENQUEUED.value)
MAX_ERROR_CHARS = 2000


def resolve(name: str) -> Callable[..., Any]:
    module_name, _, attr = name.rpartition(".")
    if not module_name:
        raise PermanentJobError(f"not a dotted job name: {name}")
    try:
        module = importlib.import_module(module_name)
        return getattr(module, attr)
    except (ImportError, AttributeError) as exc:
        raise PermanentJobError(f"unknown job {name}: {exc}") from exc


def backoff_seconds(attempt: int) -> float:
    """Exponential backoff with full jitter: ~5 s, 10 s, 20 s ... capped at an hour."""
    ceiling = min(3600.0, 5.0 * (2 ** max(0, attempt - 1)))
    return ceiling / 2 + random.uniform(0, ceiling / 2)


def _claim(outbox_id: int) -> tuple[str, dict[str, Any], int] | None:
    with session_scope() as session:
        row = session.execute(
            update(Outbox)
            .where(Outbox.id == outbox_id, Outbox.status.in_(CLAIMABLE))
            .values(
                status=OutboxStatus.RUNNING.value,
                started_at=utcnow(),
                attempts=Outbox.attempts + 1,
            )
            .returning(Outbox.job, Outbox.kwargs, Outbox.attempts)
        ).first()
        return (row.job, dict(row.kwargs or {}), row.attempts) if row else None


def _finish(outbox_id: int, **values: Any) -> None:
    with session_scope() as session:
        session.execute(
            update(Outbox)
            .where(Outbox.id == outbox_id, Outbox.status == OutboxStatus.RUNNING.value)
            .values(**values)
        )


def _hand_back(outbox_id: int, name: str) -> None:
    """The process is being stopped in the middle of the job (SystemExit from rq's cold
    shutdown on a second SIGTERM, KeyboardInterrupt): give the row back at once, attempt
    unused, so another worker runs it in seconds instead of the sweeper finding it lost after
    ``JOB_TIMEOUT_SECONDS`` + 60 s. A SIGKILL leaves no such chance; the sweeper covers that."""
    try:
        _finish(
            outbox_id,
            status=OutboxStatus.PENDING.value,
            attempts=Outbox.attempts - 1,
            run_after=utcnow(),
            last_error="interrupted: the worker was stopped during the job",
        )
        log.warning("job %s (outbox %s) interrupted by shutdown, handed back", name, outbox_id)
    except Exception:
        log.exception(
            "job %s (outbox %s) interrupted; the sweeper will hand it back", name, outbox_id
        )


def run_outbox_row(outbox_id: int, max_attempts: int = 8, rq_retries_left: int = 0) -> str:
    """Run the row's job once. Returns ``done``, ``skipped``, ``retry`` or ``failed``.

    ``rq_retries_left`` > 0 means rq will retry this job itself, so the row stays ``enqueued``
    for it; otherwise the outbox schedules the next attempt (which survives a Redis flush).
    """
    claimed = _claim(outbox_id)
    if claimed is None:
        return "skipped"
    name, kwargs, attempts = claimed
    started = time.monotonic()
    try:
        resolve(name)(**kwargs)
    except RetryLater as wait:
        _finish(
            outbox_id,
            status=OutboxStatus.PENDING.value,
            attempts=Outbox.attempts - 1,
            run_after=utcnow() + timedelta(seconds=wait.delay),
            last_error=f"waiting: {wait.reason}"[:MAX_ERROR_CHARS],
        )
        JOBS.labels(name, "waiting").inc()
        log.info("job %s (outbox %s) waits: %s", name, outbox_id, wait.reason)
        return "retry"
    except Exception as exc:
        error = f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS]
        permanent = isinstance(exc, PermanentJobError) or attempts >= max_attempts
        JOBS.labels(name, "failed" if permanent else "retry").inc()
        if permanent:
            _finish(
                outbox_id, status=OutboxStatus.FAILED.value, finished_at=utcnow(), last_error=error
            )
            log.exception("job %s (outbox %s) failed for good", name, outbox_id)
            return "failed"
        if rq_retries_left > 0:
            _finish(outbox_id, status=OutboxStatus.ENQUEUED.value, last_error=error)
            log.warning("job %s (outbox %s) failed, rq retries it: %s", name, outbox_id, error)
            raise
        _finish(
            outbox_id,
            status=OutboxStatus.PENDING.value,
            run_after=utcnow() + timedelta(seconds=backoff_seconds(attempts)),
            last_error=error,
        )
        log.warning("job %s (outbox %s) failed, will retry: %s", name, outbox_id, error)
        return "retry"
    except BaseException:
        _hand_back(outbox_id, name)
        raise
    _finish(outbox_id, status=OutboxStatus.DONE.value, finished_at=utcnow(), last_error=None)
    JOB_DURATION.labels(name).observe(time.monotonic() - started)
    JOBS.labels(name, "done").inc()
    log.info("job %s (outbox %s) done in %.3fs", name, outbox_id, time.monotonic() - started)
    return "done"


def rq_entry(outbox_id: int, max_attempts: int = 8) -> str:
    """What rq runs: the same runner, told how many retries rq itself still has."""
    from rq import get_current_job

    job = get_current_job()
    retries_left = (job.retries_left or 0) if job is not None else 0
    return run_outbox_row(outbox_id, max_attempts=max_attempts, rq_retries_left=retries_left)

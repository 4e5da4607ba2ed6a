"""Turning outbox rows into running jobs: on rq when Redis is configured, in-process otherwise.

Both dispatchers read the same table, so the embedded default and production run the same jobs
in the same way; only the transport differs.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Callable
from datetime import timedelta

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from jobs.runner import rq_entry, run_outbox_row
from models.base import utcnow
from models.db import session_scope
from models.outbox import Outbox, OutboxStatus
from settings import Settings

log = logging.getLogger(__name__)

QUEUE_NAME = "vetted"
BATCH = 200
# rq retries a failing job quickly itself; slower retries come from the outbox (durable).
RQ_RETRY_INTERVALS = [2, 10, 30]


def _due_rows(session: Session, limit: int = BATCH) -> list[Outbox]:
    query = (
        select(Outbox)
        .where(Outbox.status == OutboxStatus.PENDING.value, Outbox.run_after <= utcnow())
        .order_by(Outbox.run_after, Outbox.id)
        .limit(limit)
    )
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update(skip_locked=True)
    return list(session.scalars(query))


def rq_job_id(row: Outbox) -> str:
    """Deterministic per row, attempt and schedule: enqueuing the same attempt twice runs it once.

    ``RetryLater`` gives the attempt back (same ``attempts``) but moves ``run_after``; without it
    in the id the rescheduled run would collide with the finished rq job and never run.
    """
    stamp = int(row.run_after.timestamp() * 1000) if row.run_after else 0
    return f"outbox-{row.id}-{row.attempts}-{stamp}"


class RqDispatcher:
    """Moves due rows onto the rq queue, and hands lost jobs back to the outbox."""

    def __init__(self, settings: Settings, connection_factory: Callable[[], object] | None = None):
        self.settings = settings
        self._connection_factory = connection_factory or self._default_connection

    def _default_connection(self) -> object:
        from redis import Redis

        return Redis.from_url(self.settings.redis_url, socket_connect_timeout=2, socket_timeout=5)

    def queue(self):  # type: ignore[no-untyped-def]
        from rq import Queue

        return Queue(QUEUE_NAME, connection=self._connection_factory())

    def dispatch_once(self) -> int:
        """Enqueue every due row. If Redis is unreachable, nothing changes and 0 is returned."""
        from redis.exceptions import RedisError
        from rq import Retry
        from rq.exceptions import DuplicateJobError

        try:
            queue = self.queue()
            with session_scope() as session:
                rows = _due_rows(session)
                for row in rows:
                    with contextlib.suppress(DuplicateJobError):  # already on the queue
                        queue.enqueue_call(
                            rq_entry,
                            args=(row.id, self.settings.job_max_attempts),
                            job_id=rq_job_id(row),
                            timeout=self.settings.job_timeout_seconds,
                            result_ttl=3600,
                            failure_ttl=7 * 24 * 3600,
                            retry=Retry(max=len(RQ_RETRY_INTERVALS), interval=RQ_RETRY_INTERVALS),
                            description=f"{row.job} (outbox {row.id})",
                            unique=True,
                        )
                    row.status = OutboxStatus.ENQUEUED.value
                    row.enqueued_at = utcnow()
                    row.rq_job_id = rq_job_id(row)
                return len(rows)
        except RedisError as exc:
            log.warning("Redis unavailable, %s; outbox rows wait", exc.__class__.__name__)
            return 0

    def sweep(self, grace_seconds: float = 30.0) -> int:
        """Return rows whose rq job vanished or died to ``pending``. Returns how many."""
        from redis.exceptions import RedisError
        from rq.exceptions import NoSuchJobError
        from rq.job import Job, JobStatus

        now = utcnow()
        stale_running = now - timedelta(seconds=self.settings.job_timeout_seconds + 60)
        try:
            connection = self._connection_factory()
            revived = 0
            with session_scope() as session:
                rows = session.scalars(
                    select(Outbox)
                    .where(
                        or_(
                            Outbox.status == OutboxStatus.ENQUEUED.value,
                            Outbox.status == OutboxStatus.RUNNING.value,
                        ),
                        or_(
                            Outbox.enqueued_at.is_(None),
                            Outbox.enqueued_at < now - timedelta(seconds=grace_seconds),
                        ),
                    )
                    .limit(1000)
                ).all()
                for row in rows:
                    lost = False
                    if row.rq_job_id is None:
                        lost = row.status == OutboxStatus.RUNNING.value and (
                            row.started_at is None or row.started_at < stale_running
                        )
                    else:
                        try:
                            status = Job.fetch(row.rq_job_id, connection=connection).get_status()
                            lost = status in {
                                JobStatus.FAILED,
                                JobStatus.STOPPED,
                                JobStatus.CANCELED,
                                JobStatus.FINISHED,
                            } or (
                                row.status == OutboxStatus.RUNNING.value
                                and row.started_at is not None
                                and row.started_at < stale_running
                            )
                        except NoSuchJobError:
                            lost = True
                    if lost:
                        row.status = OutboxStatus.PENDING.value
                        row.run_after = now
                        revived += 1
                if revived:
                    log.warning("re-dispatching %d outbox rows whose job was lost", revived)
            return revived
        except RedisError:
            return 0


class EmbeddedDispatcher:
    """Runs due rows directly, in this process: the embedded default with no Redis."""

    def __init__(self, settings: Settings):
        self.settings = settings

    def dispatch_once(self) -> int:
        with session_scope() as session:
            ids = [row.id for row in _due_rows(session)]
        for outbox_id in ids:
            run_outbox_row(outbox_id, max_attempts=self.settings.job_max_attempts)
        return len(ids)

    def sweep(self, grace_seconds: float = 0.0) -> int:
        """Rows left ``running`` or ``enqueued`` by a process that died go back to ``pending``."""
        stale = utcnow() - timedelta(seconds=self.settings.job_timeout_seconds + 60)
        with session_scope() as session:
            result = session.execute(
                update(Outbox)
                .where(
                    Outbox.status.in_([OutboxStatus.RUNNING.value, OutboxStatus.ENQUEUED.value]),
                    or_(Outbox.started_at.is_(None), Outbox.started_at < stale),
                    or_(Outbox.enqueued_at.is_(None), Outbox.enqueued_at < stale),
                )
                .values(status=OutboxStatus.PENDING.value, run_after=utcnow())
            )
            return result.rowcount or 0


def make_dispatcher(settings: Settings) -> RqDispatcher | EmbeddedDispatcher:
    return RqDispatcher(settings) if settings.uses_redis else EmbeddedDispatcher(settings)


def drain(settings: Settings, max_rounds: int = 50) -> int:
    """Run everything due now, in this process, until nothing is left (tests and CLI)."""
    dispatcher = EmbeddedDispatcher(settings)
    total = 0
    for _ in range(max_rounds):
        ran = dispatcher.dispatch_once()
        total += ran
        if not ran:
            break
    return total


class BackgroundLoop(threading.Thread):
    """Calls ``step`` every ``interval`` seconds until stopped; one failure never kills it."""

    def __init__(self, name: str, step: Callable[[], object], interval: float):
        super().__init__(name=name, daemon=True)
        self._step = step
        self._interval = interval
        self._stop_event = threading.Event()

    def run(self) -> None:
        while not self._stop_event.is_set():
            try:
                self._step()
            except Exception:
                log.exception("%s step failed; continuing", self.name)
            self._stop_event.wait(self._interval)

    def stop(self, timeout: float = 10.0) -> bool:
        """Ask the loop to stop and wait for its current step; True when the thread ended."""
        self._stop_event.set()
        self.join(timeout)
        return not self.is_alive()

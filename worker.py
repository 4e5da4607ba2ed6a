"""The worker process: an rq worker plus the outbox dispatcher and the periodic scheduler.

``python worker.py`` with ``REDIS_URL`` set runs rq (several such processes may run at once:
the outbox hands each row to one of them). Without Redis it runs the jobs itself, like the web
process does in the embedded default.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import sys
import threading
import time
from typing import Any

from jobs.dispatch import QUEUE_NAME, BackgroundLoop, make_dispatcher
from jobs.schedule import tick_now
from logconfig import configure_logging
from models.crypto import Keyring, configure_keyring
from models.db import configure_engine
from settings import Settings, activate, load_settings

log = logging.getLogger("worker")

SCHEDULE_INTERVAL = 15.0


def start_background_loops(settings: Settings) -> list[BackgroundLoop]:
    """Start the dispatcher and the scheduler threads (used by the worker and embedded mode)."""
    dispatcher = make_dispatcher(settings)

    def schedule_step() -> None:
        tick_now()
        dispatcher.sweep()

    loops = [
        BackgroundLoop(
            "outbox-dispatch", dispatcher.dispatch_once, settings.dispatch_interval_seconds
        ),
        BackgroundLoop("scheduler", schedule_step, SCHEDULE_INTERVAL),
    ]
    for loop in loops:
        loop.start()
    return loops


def configure(settings: Settings) -> None:
    configure_logging(settings)
    if not settings.encryption_keys:
        from app import _secrets

        settings = _secrets(settings)
    activate(settings)
    configure_keyring(Keyring.from_setting(settings.encryption_keys))
    configure_engine(settings.database_url)


class RqScheduler:
    """rq's scheduler (jobs retried later through ``Retry`` intervals) as a thread of this process.

    rq forks its scheduler into a child process, and a forked child inherits this process's open
    PostgreSQL connections. When the worker is killed (kill -9, the OOM killer) in the middle of
    a transaction, the child still holds the socket, so PostgreSQL never sees the worker go: its
    row locks (outbox rows claimed ``FOR UPDATE``) stay held and every other worker waits on them
    for as long as the orphaned child lives, which is forever, since it does not notice that its
    parent died. Found by the kill -9 drill at DRILL_BURST=300; a thread dies with the process.
    """

    def __init__(self, settings: Settings):
        from redis import Redis
        from rq.scheduler import RQScheduler

        self._scheduler = RQScheduler(
            [QUEUE_NAME],
            connection=Redis.from_url(settings.redis_url),
            logging_level=settings.log_level,
        )
        self._loop = BackgroundLoop("rq-scheduler", self.step, float(self._scheduler.interval))

    def step(self) -> None:
        """What rq's scheduler process does each second: hold the lock, move due jobs."""
        from redis.exceptions import RedisError

        scheduler = self._scheduler
        try:
            if scheduler.should_reacquire_locks:
                scheduler.acquire_locks()
            if scheduler.acquired_locks:
                scheduler.heartbeat()
                scheduler.enqueue_scheduled_jobs()
        except RedisError as exc:
            log.warning("rq scheduler waiting: Redis unavailable (%s)", exc.__class__.__name__)

    def start(self) -> None:
        self._loop.start()

    def stop(self) -> None:
        from redis.exceptions import RedisError

        self._loop.stop()
        # Let another worker's scheduler take over at once; with Redis down the lock expires.
        with contextlib.suppress(RedisError):
            self._scheduler.release_locks()


# Waits before starting rq again after it quit on its own (Redis went away): then every 10 s.
RESTART_PAUSES = (1.0, 2.0, 5.0, 10.0)


def run_rq_worker(settings: Settings, burst: bool = False) -> None:
    """Run rq, with its scheduler in a thread, until asked to stop (SIGTERM/SIGINT)."""
    from redis import Redis
    from rq import Queue, SimpleWorker

    class Worker(SimpleWorker):
        """rq's worker, remembering whether it was asked to stop (rq does not say)."""

        stop_asked = False

        def request_stop(self, signum, frame):  # type: ignore[no-untyped-def]
            self.stop_asked = True
            super().request_stop(signum, frame)

    connection = Redis.from_url(settings.redis_url)
    scheduler = RqScheduler(settings)
    scheduler.start()
    try:
        _work_until_stopped(Worker, Queue(QUEUE_NAME, connection=connection), settings, burst)
    finally:
        scheduler.stop()


def _work_until_stopped(worker_class: Any, queue: Any, settings: Settings, burst: bool) -> None:
    """Run rq's work loop, starting it again whenever it quits on its own.

    rq's work loop gives up ("found an unhandled exception, quitting") when Redis goes away
    while it finishes a job, and then returns as if it had been told to stop. Without this loop
    a Redis restart would leave the cluster with no workers at all: the outbox would keep every
    job safe, but nothing would run them. Only a SIGTERM/SIGINT (or ``--burst`` running dry)
    ends the process.
    """
    from redis.exceptions import RedisError

    stopping = threading.Event()
    restarts = 0
    while True:
        worker = None
        started = time.monotonic()
        try:
            # SimpleWorker runs jobs in this process: no fork, so database connections stay sound.
            # rq's own scheduler would be forked; RqScheduler runs it in a thread instead.
            worker = worker_class([queue], connection=queue.connection)
            worker.work(burst=burst, with_scheduler=False, logging_level=settings.log_level)
        except RedisError as exc:  # naming itself, or registering birth or death, with Redis down
            log.warning("rq worker stopped: Redis unavailable (%s)", exc.__class__.__name__)
        else:
            if burst:
                return
        if worker is not None and worker.stop_asked:
            return
        # Between runs rq's handlers are gone: a SIGTERM now must still end the process.
        signal.signal(signal.SIGTERM, lambda *_: stopping.set())
        signal.signal(signal.SIGINT, lambda *_: stopping.set())
        if time.monotonic() - started > 60:
            restarts = 0  # it had been running fine: this is a new outage, start quickly again
        pause = RESTART_PAUSES[min(restarts, len(RESTART_PAUSES) - 1)]
        restarts += 1
        log.warning("rq worker quit without being asked to; starting it again in %.0f s", pause)
        if stopping.wait(pause):
            return


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    settings = load_settings()
    if not settings.encryption_keys or not settings.secret_key:
        from app import _secrets

        settings = _secrets(settings)
    configure(settings)
    loops = start_background_loops(settings)
    try:
        if settings.uses_redis:
            log.info("worker started on queue %s", QUEUE_NAME)
            run_rq_worker(settings, burst="--burst" in argv)
        else:
            log.info("no REDIS_URL: running jobs in this process")
            stop = threading.Event()
            signal.signal(signal.SIGTERM, lambda *_: stop.set())
            signal.signal(signal.SIGINT, lambda *_: stop.set())
            stop.wait()
    finally:
        # rq returns from work() after a warm shutdown (SIGTERM: the job in hand finished) or a
        # cold one (second SIGTERM: the job was handed back); either way the dispatcher and the
        # scheduler stop here, after the job, so the process exits on its own.
        stuck = [loop.name for loop in loops if not loop.stop()]
        if stuck:
            log.warning("worker stopped; threads still busy: %s", ", ".join(stuck))
        else:
            log.info("worker stopped; dispatcher and scheduler threads ended")
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The worker process: an rq worker plus the outbox dispatcher and the periodic scheduler.

``python worker.py`` with ``REDIS_URL`` set runs rq (several such processes may run at once:
the outbox hands each row to one of them). Without Redis it runs the jobs itself, like the web
process does in the embedded default.
"""

from __future__ import annotations

import logging
import signal
import sys
import threading
import time

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


# Waits before starting rq again after it quit on its own (Redis went away): then every 10 s.
RESTART_PAUSES = (1.0, 2.0, 5.0, 10.0)


def run_rq_worker(settings: Settings, burst: bool = False) -> None:
    """Run rq until asked to stop, starting it again whenever it quits on its own.

    rq's work loop gives up ("found an unhandled exception, quitting") when Redis goes away
    while it finishes a job, and then returns as if it had been told to stop. Without this loop
    a Redis restart would leave the cluster with no workers at all: the outbox would keep every
    job safe, but nothing would run them. Only a SIGTERM/SIGINT (or ``--burst`` running dry)
    ends the process.
    """
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue, SimpleWorker

    class Worker(SimpleWorker):
        """rq's worker, remembering whether it was asked to stop (rq does not say)."""

        stop_asked = False

        def request_stop(self, signum, frame):  # type: ignore[no-untyped-def]
            self.stop_asked = True
            super().request_stop(signum, frame)

    connection = Redis.from_url(settings.redis_url)
    stopping = threading.Event()
    restarts = 0
    while True:
        worker = None
        started = time.monotonic()
        try:
            # SimpleWorker runs jobs in this process: no fork, so database connections stay sound.
            worker = Worker([Queue(QUEUE_NAME, connection=connection)], connection=connection)
            worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level)
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
        for loop in loops:
            loop.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())

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


def run_rq_worker(settings: Settings, burst: bool = False) -> None:
    from redis import Redis
    from rq import Queue, SimpleWorker

    connection = Redis.from_url(settings.redis_url)
    # SimpleWorker runs jobs in this process: no fork, so database connections stay sound.
    worker = SimpleWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection)
    worker.work(burst=burst, with_scheduler=True, logging_level=settings.log_level)


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

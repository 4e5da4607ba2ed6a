"""Gunicorn settings for the web tier (see README: Deploying several servers)."""

import gc
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY", multiprocessing.cpu_count() * 2 + 1))
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
worker_class = "gthread"
timeout = 120  # resumable upload chunks of 8 MiB on slow links
graceful_timeout = 30
keepalive = 5
# Workers are recycled to bound any slow leak. Building the app costs ~1.5 s of CPU, so it is
# built once in the master and forked: under load a recycle then costs a fork, where before
# each of five workers spent 1.5 s rebuilding it every ~13 s (a third of the machine at
# 800 webhooks/s). New code therefore needs a restart, not a HUP (see README, rolling restarts).
preload_app = True
max_requests = 2000
max_requests_jitter = 200
accesslog = "-"
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1")


def pre_fork(server, worker) -> None:  # type: ignore[no-untyped-def]
    """Freeze what the master built (about 160,000 objects) out of the garbage collector's view
    before forking: a worker's full collections then skip them instead of walking them all,
    which took ~70 ms each and, by writing to every object's header, copied the master's
    memory page by page into each worker (Python's gc.freeze advice for pre-fork servers)."""
    gc.freeze()


def post_fork(server, worker) -> None:  # type: ignore[no-untyped-def]
    """Drop the database connections inherited from the master: two processes must never
    share one socket (SQLAlchemy's advice for forking after an engine exists)."""
    from models.db import forget_inherited_connections

    forget_inherited_connections()


def child_exit(server, worker) -> None:  # type: ignore[no-untyped-def]
    """Let /metrics forget the live gauges of a worker that exited."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

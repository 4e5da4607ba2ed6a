"""Prometheus metrics every room may record (no Flask here: jobs and the worker use them too).

Under gunicorn with several worker processes set ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client
reads it at import, so it is set in the process environment) to a shared empty directory, and
``/metrics`` aggregates all processes.
"""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Histogram, multiprocess
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

HTTP_REQUESTS = Counter(
    "vetted_http_requests_total", "HTTP requests served", ["method", "route", "status"]
)
HTTP_LATENCY = Histogram(
    "vetted_http_request_duration_seconds",
    "Time to answer an HTTP request",
    ["route"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
JOBS = Counter("vetted_jobs_total", "Outbox jobs run, by outcome", ["job", "outcome"])
JOB_DURATION = Histogram(
    "vetted_job_duration_seconds",
    "Time a job ran",
    ["job"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300, 600),
)
WEBHOOK_STORE_BATCH = Histogram(
    "vetted_webhook_store_batch_size",
    "Webhook deliveries committed together (group commit)",
    buckets=(1, 2, 3, 4, 6, 8, 12, 16, 32),
)
SCANS = Counter("vetted_scans_total", "Malware scans, by result and engine", ["result", "engine"])
MATCHING_SECONDS = Histogram(
    "vetted_matching_seconds",
    "Time to choose a reviewer for a ticket",
    buckets=(0.001, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 1),
)


class StateCollector(Collector):
    """Read at scrape time from the database and Redis: tickets by status and queue depths."""

    def __init__(self, redis_url: str = ""):
        self.redis_url = redis_url

    def collect(self):  # type: ignore[no-untyped-def]
        from sqlalchemy import func, select

        from models.db import session_scope
        from models.outbox import Outbox
        from models.tickets import Submission

        tickets = GaugeMetricFamily("vetted_tickets", "Tickets by status", labels=["status"])
        outbox = GaugeMetricFamily("vetted_outbox_rows", "Outbox rows by status", labels=["status"])
        try:
            with session_scope() as session:
                for status, count in session.execute(
                    select(Submission.status, func.count()).group_by(Submission.status)
                ):
                    tickets.add_metric([status], count)
                for status, count in session.execute(
                    select(Outbox.status, func.count()).group_by(Outbox.status)
                ):
                    outbox.add_metric([status], count)
        except Exception:  # noqa: S110 - a scrape must not fail because the database is down
            pass
        yield tickets
        yield outbox
        if self.redis_url:
            yield self._queue_depth()

    def _queue_depth(self) -> GaugeMetricFamily:
        from redis import Redis
        from rq import Queue

        from jobs.dispatch import QUEUE_NAME

        depth = GaugeMetricFamily(
            "vetted_rq_queue_depth", "Jobs waiting on the rq queue", labels=["queue"]
        )
        try:
            connection = Redis.from_url(self.redis_url, socket_connect_timeout=1, socket_timeout=1)
            depth.add_metric([QUEUE_NAME], Queue(QUEUE_NAME, connection=connection).count)
        except Exception:  # noqa: S110 - Redis down is visible through /readyz instead
            pass
        return depth


def exposition(redis_url: str, multiprocess_dir: str = "") -> bytes:
    """The text ``/metrics`` serves: every process's metrics plus the live state."""
    from prometheus_client import REGISTRY, generate_latest

    if multiprocess_dir:
        base = CollectorRegistry()
        multiprocess.MultiProcessCollector(base, path=multiprocess_dir)
    else:
        base = REGISTRY
    state = CollectorRegistry()
    state.register(StateCollector(redis_url))
    return generate_latest(base) + generate_latest(state)

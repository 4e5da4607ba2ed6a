"""jobs.dispatch: rows reach rq (or run in-process); a Redis outage or lost job loses nothing."""

from datetime import timedelta

import pytest
from redis import Redis
from rq import Queue, SimpleWorker

from jobs.dispatch import QUEUE_NAME, EmbeddedDispatcher, RqDispatcher, drain, rq_job_id
from jobs.outbox import enqueue
from models.base import utcnow
from models.outbox import Outbox, OutboxStatus
from tests.support import jobs as test_jobs
from tests.support.services import RedisServer


def run_worker(url: str) -> None:
    connection = Redis.from_url(url)
    SimpleWorker([Queue(QUEUE_NAME, connection=connection)], connection=connection).work(burst=True)


def statuses(session) -> list[str]:
    session.expire_all()
    return [row.status for row in session.query(Outbox).order_by(Outbox.id)]


@pytest.fixture
def private_redis(tmp_path):
    server = RedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_rows_are_enqueued_on_rq_and_run_by_a_worker(session, settings, redis_url):
    for n in range(5):
        enqueue(session, test_jobs.count_runs, tag=f"r{n}")
    session.commit()
    dispatcher = RqDispatcher(settings.with_overrides(redis_url=redis_url))
    assert dispatcher.dispatch_once() == 5
    assert statuses(session) == ["enqueued"] * 5
    run_worker(redis_url)
    assert statuses(session) == ["done"] * 5
    assert all(test_jobs.runs(session, f"r{n}") == 1 for n in range(5))


def test_with_redis_stopped_work_is_kept_and_runs_once_redis_is_back(
    session, settings, private_redis
):
    dispatcher = RqDispatcher(settings.with_overrides(redis_url=private_redis.url))
    private_redis.stop()
    for n in range(3):
        enqueue(session, test_jobs.count_runs, tag=f"outage{n}")
    session.commit()
    assert dispatcher.dispatch_once() == 0
    assert statuses(session) == ["pending"] * 3

    private_redis.start()
    assert dispatcher.dispatch_once() == 3
    run_worker(private_redis.url)
    assert statuses(session) == ["done"] * 3
    assert all(test_jobs.runs(session, f"outage{n}") == 1 for n in range(3))


def test_a_row_enqueued_twice_runs_once(session, settings, redis_url):
    row = enqueue(session, test_jobs.count_runs, tag="twice")
    session.commit()
    dispatcher = RqDispatcher(settings.with_overrides(redis_url=redis_url))
    queue = dispatcher.queue()
    assert dispatcher.dispatch_once() == 1
    session.query(Outbox).filter_by(id=row.id).update({"status": "pending"})
    session.commit()
    assert dispatcher.dispatch_once() == 1  # same attempt, same rq job id: rq keeps one
    assert queue.count == 1
    run_worker(redis_url)
    assert test_jobs.runs(session, "twice") == 1


def test_jobs_lost_when_redis_is_flushed_are_dispatched_again(session, settings, redis_url):
    enqueue(session, test_jobs.count_runs, tag="flushed")
    session.commit()
    dispatcher = RqDispatcher(settings.with_overrides(redis_url=redis_url))
    dispatcher.dispatch_once()
    Redis.from_url(redis_url).flushdb()
    assert dispatcher.sweep(grace_seconds=0) == 1
    assert statuses(session) == ["pending"]
    dispatcher.dispatch_once()
    run_worker(redis_url)
    assert statuses(session) == ["done"]
    assert test_jobs.runs(session, "flushed") == 1


def test_a_job_whose_worker_was_killed_is_handed_back(session, settings, redis_url):
    """A worker killed mid-job leaves the row ``running``; once its job is gone it runs again."""
    row = enqueue(session, test_jobs.count_runs, tag="killed")
    session.commit()
    session.query(Outbox).filter_by(id=row.id).update(
        {
            "status": "running",
            "rq_job_id": "outbox-x-dead",
            "attempts": 1,
            "started_at": utcnow() - timedelta(minutes=1),
            "enqueued_at": utcnow() - timedelta(minutes=1),
        }
    )
    session.commit()
    dispatcher = RqDispatcher(settings.with_overrides(redis_url=redis_url))
    assert dispatcher.sweep(grace_seconds=0) == 1
    dispatcher.dispatch_once()
    run_worker(redis_url)
    assert statuses(session) == ["done"]


def test_a_failing_job_is_handed_to_rqs_quick_retry_then_to_the_outbox(
    session, settings, redis_url
):
    from rq.job import Job, JobStatus

    from jobs.runner import run_outbox_row

    row = enqueue(session, test_jobs.fail, message="transient")
    session.commit()
    dispatcher = RqDispatcher(settings.with_overrides(redis_url=redis_url))
    dispatcher.dispatch_once()
    job_id = rq_job_id(session.get(Outbox, row.id))
    run_worker(redis_url)
    session.expire_all()
    stored = session.get(Outbox, row.id)
    # rq still owns the row: its retry is scheduled, the failure is recorded
    assert (stored.status, stored.attempts) == ("enqueued", 1)
    assert "transient" in stored.last_error
    rq_job = Job.fetch(job_id, connection=Redis.from_url(redis_url))
    assert rq_job.get_status() == JobStatus.SCHEDULED
    # once rq has no retries left, the outbox takes over with its own (durable) backoff
    assert run_outbox_row(row.id, rq_retries_left=0) == "retry"
    session.expire_all()
    stored = session.get(Outbox, row.id)
    assert (stored.status, stored.attempts) == ("pending", 2)
    assert stored.run_after > utcnow()


def test_the_embedded_dispatcher_runs_rows_in_process(session, settings):
    enqueue(session, test_jobs.count_runs, tag="embedded")
    enqueue(session, test_jobs.count_runs, tag="later", run_after=utcnow() + timedelta(hours=1))
    session.commit()
    assert EmbeddedDispatcher(settings).dispatch_once() == 1
    assert statuses(session) == ["done", "pending"]


def test_drain_runs_work_that_causes_more_work(session, settings):
    enqueue(session, test_jobs.record, tag="one")
    session.commit()
    assert drain(settings) == 1
    assert statuses(session) == [OutboxStatus.DONE]


def test_the_embedded_sweeper_revives_rows_left_running_by_a_dead_process(session, settings):
    row = enqueue(session, test_jobs.count_runs, tag="stale")
    session.commit()
    session.query(Outbox).filter_by(id=row.id).update(
        {
            "status": "running",
            "started_at": utcnow() - timedelta(days=1),
            "enqueued_at": utcnow() - timedelta(days=1),
        }
    )
    session.commit()
    assert EmbeddedDispatcher(settings).sweep() == 1
    assert statuses(session) == ["pending"]

"""jobs.runner: a row runs once, failures are retried with backoff, waiting is not failing."""

from datetime import timedelta

from jobs.outbox import enqueue
from jobs.runner import backoff_seconds, run_outbox_row
from models.base import utcnow
from models.outbox import Outbox, OutboxStatus
from tests.support import jobs as test_jobs


def add(session, job, **kwargs) -> int:
    row = enqueue(session, job, **kwargs)
    session.commit()
    return row.id


def reload(session, row_id: int) -> Outbox:
    session.expire_all()
    return session.get(Outbox, row_id)


def test_a_row_runs_and_is_marked_done(session):
    row_id = add(session, test_jobs.count_runs, tag="t")
    assert run_outbox_row(row_id) == "done"
    row = reload(session, row_id)
    assert row.status == OutboxStatus.DONE and row.attempts == 1 and row.finished_at
    assert test_jobs.runs(session, "t") == 1


def test_a_done_row_handed_out_again_does_not_run_again(session):
    row_id = add(session, test_jobs.count_runs, tag="t")
    assert run_outbox_row(row_id) == "done"
    assert run_outbox_row(row_id) == "skipped"
    assert test_jobs.runs(session, "t") == 1


def test_a_failure_is_recorded_and_retried_later_with_backoff(session):
    row_id = add(session, test_jobs.fail, message="GitHub said 502")
    assert run_outbox_row(row_id) == "retry"
    row = reload(session, row_id)
    assert row.status == OutboxStatus.PENDING
    assert "GitHub said 502" in row.last_error
    assert row.run_after > utcnow() + timedelta(seconds=1)


def test_the_last_attempt_fails_the_row_for_admins_to_see(session):
    row_id = add(session, test_jobs.fail, message="boom")
    for _ in range(3):
        session.query(Outbox).filter_by(id=row_id).update({"run_after": utcnow()})
        session.commit()
        result = run_outbox_row(row_id, max_attempts=3)
    assert result == "failed"
    assert reload(session, row_id).status == OutboxStatus.FAILED


def test_a_permanent_error_fails_at_once(session):
    row_id = add(session, test_jobs.fail_permanently, message="ticket gone")
    assert run_outbox_row(row_id) == "failed"
    assert reload(session, row_id).attempts == 1


def test_an_unknown_job_fails_at_once_with_its_name(session):
    row_id = add(session, "tests.support.jobs.no_such_job")
    assert run_outbox_row(row_id) == "failed"
    assert "no_such_job" in reload(session, row_id).last_error


def test_waiting_on_something_outside_does_not_use_up_attempts(session):
    row_id = add(session, test_jobs.wait, reason="clamd unreachable")
    for _ in range(20):
        session.query(Outbox).filter_by(id=row_id).update({"run_after": utcnow()})
        session.commit()
        assert run_outbox_row(row_id, max_attempts=3) == "retry"
    row = reload(session, row_id)
    assert row.status == OutboxStatus.PENDING and row.attempts == 0
    assert row.last_error == "waiting: clamd unreachable"


def test_backoff_grows_and_is_capped():
    assert backoff_seconds(1) <= 5
    assert 40 <= backoff_seconds(5) <= 80
    assert backoff_seconds(50) <= 3600

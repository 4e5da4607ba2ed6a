"""jobs.outbox: work is written in the caller's transaction; a key makes it write-once."""

from jobs.outbox import enqueue, job_name
from models.outbox import Outbox, OutboxStatus
from tests.support import jobs as test_jobs


def test_a_row_names_the_job_and_its_id_arguments(session):
    row = enqueue(session, test_jobs.record, tag="a")
    session.commit()
    assert row.job == "tests.support.jobs.record"
    assert row.kwargs == {"tag": "a"}
    assert row.status == OutboxStatus.PENDING


def test_the_same_key_is_written_once(session):
    assert enqueue(session, "tests.support.jobs.record", key="k1", tag="a") is not None
    assert enqueue(session, "tests.support.jobs.record", key="k1", tag="a") is None
    session.commit()
    assert session.query(Outbox).count() == 1


def test_a_rolled_back_transaction_leaves_no_work_behind(session):
    enqueue(session, test_jobs.record, tag="a")
    session.rollback()
    assert session.query(Outbox).count() == 0


def test_job_names_come_from_functions_or_strings():
    assert job_name(test_jobs.fail) == "tests.support.jobs.fail"
    assert job_name("x.y") == "x.y"

"""jobs.schedule: periodic work is written once per slot however many workers tick."""

from datetime import UTC, datetime, timedelta

from jobs.schedule import PERIODIC, tick
from models.outbox import Outbox


def test_ticking_twice_in_the_same_slot_writes_each_periodic_job_once(session):
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    assert tick(session, now) == len(PERIODIC)
    assert tick(session, now + timedelta(seconds=1)) == 0
    session.commit()
    assert session.query(Outbox).count() == len(PERIODIC)


def test_the_next_slot_writes_again(session):
    now = datetime(2026, 12, 4, 12, 0, tzinfo=UTC)
    tick(session, now)
    longest = max(PERIODIC.values())
    assert tick(session, now + timedelta(seconds=longest)) == len(PERIODIC)

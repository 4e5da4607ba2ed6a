"""jobs.maintenance: finished rows are pruned after a week; failed rows stay."""

from datetime import timedelta

from jobs.maintenance import prune_outbox
from models.base import utcnow
from models.outbox import Outbox


def test_old_done_rows_are_pruned_and_failed_rows_kept(session):
    old = utcnow() - timedelta(days=8)
    session.add_all(
        [
            Outbox(job="x.y", status="done", finished_at=old),
            Outbox(job="x.y", status="done", finished_at=utcnow()),
            Outbox(job="x.y", status="failed", finished_at=old),
        ]
    )
    session.commit()
    assert prune_outbox() == 1
    assert sorted(r.status for r in session.query(Outbox)) == ["done", "failed"]

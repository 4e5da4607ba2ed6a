"""notify.alerts: a user's alerts, newest first, and the unread count."""

from datetime import timedelta

from models.base import utcnow
from models.notifications import Notification
from notify.alerts import recent_alerts, unread_count
from tests.support.factories import make_user


def test_alerts_are_the_users_own_newest_first_and_unread_ones_are_counted(session):
    ada, bob = make_user(session, "ada@example.com"), make_user(session, "bob@example.com")
    now = utcnow()
    for n, read in enumerate([False, True, False]):
        session.add(
            Notification(
                user_id=ada.id,
                event="e",
                title=f"t{n}",
                created_at=now + timedelta(seconds=n),
                read_at=now if read else None,
            )
        )
    session.add(Notification(user_id=bob.id, event="e", title="bob's"))
    session.commit()

    assert [a.title for a in recent_alerts(session, ada.id, 10)] == ["t2", "t1", "t0"]
    assert [a.title for a in recent_alerts(session, ada.id, 2)] == ["t2", "t1"]
    assert [a.title for a in recent_alerts(session, ada.id, 10, unread_only=True)] == ["t2", "t0"]
    assert unread_count(session, ada.id) == 2
    assert unread_count(session, bob.id) == 1

"""models.base: encrypted columns never store plaintext; datetimes keep their zone."""

from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import text

from models.reviews import ReviewComment
from tests.support.factories import make_ticket, make_user

SECRET = "password = 'hunter2'  # the planted secret"


def test_encrypted_columns_store_no_plaintext_in_the_raw_row(session):
    user = make_user(session)
    ticket = make_ticket(session, user, description="Please audit the login flow " + SECRET)
    session.add(
        ReviewComment(
            submission_id=ticket.id,
            author_id=user.id,
            file_path="app/auth.py",
            line_start=3,
            line_end=4,
            body="SQL injection here: " + SECRET,
            suggestion="cursor.execute(q, (name,))",
        )
    )
    session.commit()

    raw_description = session.execute(text("SELECT description FROM submissions")).scalar_one()
    raw_comment = session.execute(
        text("SELECT body, suggestion, file_path FROM review_comments")
    ).one()
    for raw in (raw_description, *raw_comment):
        assert b"hunter2" not in bytes(raw)
        assert b"app/auth.py" not in bytes(raw)
        assert b"cursor.execute" not in bytes(raw)

    session.expire_all()
    assert session.get(ReviewComment, 1).body.endswith(SECRET)


def test_datetimes_come_back_timezone_aware(session):
    user = make_user(session)
    ticket = make_ticket(session, user)
    session.commit()
    session.expire_all()
    assert ticket.submitted_at.tzinfo is not None


def test_a_naive_datetime_is_refused(session):
    user = make_user(session)
    user.last_seen_at = datetime(2026, 1, 1)
    with pytest.raises(Exception, match="naive"):
        session.flush()


def test_an_aware_datetime_in_another_zone_is_stored_as_utc(session):
    user = make_user(session)
    local = datetime(2026, 1, 1, 12, tzinfo=timezone(timedelta(hours=2)))
    user.last_seen_at = local
    session.commit()
    session.expire_all()
    assert user.last_seen_at == local
    assert user.last_seen_at.utcoffset() == timedelta(0)

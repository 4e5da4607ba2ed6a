"""reviews.stats: reviewer counters never go negative and the median turnaround is right."""

from datetime import timedelta

from models.base import utcnow
from models.reviewers import ReviewerProfile
from models.tickets import TicketStatus
from reviews.stats import median_turnaround_hours, rating_changed, review_finished
from tests.support.factories import make_reviewer, make_ticket, make_user


def test_open_reviews_never_go_below_zero(session):
    reviewer = make_reviewer(session)
    review_finished(session, reviewer.id)
    profile = session.query(ReviewerProfile).one()
    session.refresh(profile)
    assert (profile.open_reviews, profile.completed_reviews) == (0, 1)


def test_median_turnaround_is_taken_over_completed_reviews(session):
    owner, reviewer = make_user(session), make_reviewer(session)
    now = utcnow()
    for hours in (1, 3, 10):
        ticket = make_ticket(session, owner, reviewer_id=reviewer.id)
        ticket.status = TicketStatus.COMPLETED.value
        ticket.accepted_at, ticket.completed_at = now - timedelta(hours=hours), now
    session.flush()
    assert median_turnaround_hours(session, reviewer.id) == 3.0


def test_rating_aggregate_is_applied_atomically(session):
    reviewer = make_reviewer(session)
    rating_changed(session, reviewer.id, 4, 1)
    rating_changed(session, reviewer.id, 5, 1)
    profile = session.query(ReviewerProfile).one()
    session.refresh(profile)
    assert (profile.rating_sum, profile.rating_count, profile.rating_avg) == (9, 2, 4.5)

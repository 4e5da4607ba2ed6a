"""reviews.ratings: the developer rates once per ticket, editable for a week."""

from datetime import timedelta

import pytest

from models.outbox import Outbox
from models.reviewers import ReviewerProfile
from reviews.completion import complete_review
from reviews.ratings import RatingError, rate_ticket
from reviews.state import Actor
from tests.support.factories import make_reviewer, make_user, ticket_in_review


@pytest.fixture
def people(session):
    return make_user(session, "dev@example.com"), make_reviewer(session)


def completed(session, owner, reviewer):
    ticket = ticket_in_review(session, owner, reviewer)
    complete_review(session, ticket, actor=Actor(), overall="ok", origin="github")
    return ticket


def profile(session, reviewer):
    p = session.query(ReviewerProfile).filter_by(user_id=reviewer.id).one()
    session.refresh(p)
    return p


def test_rating_updates_the_reviewers_average_and_notifies_them(session, people):
    owner, reviewer = people
    rate_ticket(session, completed(session, owner, reviewer), owner.id, 5, comment="Great")
    rate_ticket(session, completed(session, owner, reviewer), owner.id, 2)
    session.commit()
    p = profile(session, reviewer)
    assert (p.rating_count, p.rating_sum, p.rating_avg) == (2, 7, 3.5)
    events = [r.kwargs.get("event") for r in session.query(Outbox)]
    assert events.count("rating.received") == 2


def test_editing_within_the_week_replaces_the_score_in_the_average(session, people):
    owner, reviewer = people
    ticket = completed(session, owner, reviewer)
    rate_ticket(session, ticket, owner.id, 2)
    rate_ticket(session, ticket, owner.id, 4, helpfulness=5)
    session.commit()
    p = profile(session, reviewer)
    assert (p.rating_count, p.rating_avg) == (1, 4.0)


def test_after_a_week_the_rating_is_final(session, people):
    owner, reviewer = people
    ticket = completed(session, owner, reviewer)
    rating = rate_ticket(session, ticket, owner.id, 3)
    rating.created_at = rating.created_at - timedelta(days=8)
    with pytest.raises(RatingError, match="final"):
        rate_ticket(session, ticket, owner.id, 5)


def test_only_the_owner_can_rate(session, people):
    owner, reviewer = people
    other = make_user(session, "other@example.com")
    with pytest.raises(RatingError, match="Only the developer"):
        rate_ticket(session, completed(session, owner, reviewer), other.id, 5)


def test_a_review_in_progress_cannot_be_rated(session, people):
    owner, reviewer = people
    with pytest.raises(RatingError, match="once it is completed"):
        rate_ticket(session, ticket_in_review(session, owner, reviewer), owner.id, 5)


@pytest.mark.parametrize("score", [0, 6, -1, True, "5", None])
def test_scores_outside_one_to_five_are_refused(session, people, score):
    owner, reviewer = people
    with pytest.raises(RatingError):
        rate_ticket(session, completed(session, owner, reviewer), owner.id, score)


def test_an_optional_dimension_out_of_range_is_refused(session, people):
    owner, reviewer = people
    with pytest.raises(RatingError, match="Clarity"):
        rate_ticket(session, completed(session, owner, reviewer), owner.id, 4, clarity=9)

"""matching.jobs: matching, fair rotation, automatic retries of unmatched tickets."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import select, update

from jobs.dispatch import drain
from jobs.schedule import PERIODIC
from matching.jobs import NO_REVIEWER, match_ticket, retry_unmatched
from matching.offers import accept_offer
from models.base import utcnow
from models.offers import Offer
from models.reviewers import ReviewerProfile
from models.tickets import Submission
from reviews.state import transition
from tests.support.factories import make_ticket, make_user
from tests.support.reviewers import make_reviewer


def matching_ticket(session, owner, **fields):
    ticket = make_ticket(session, owner, **fields)
    transition(session, ticket, "scanning")
    transition(session, ticket, "matching")
    session.commit()
    return ticket


def test_expiry_and_retries_run_on_a_schedule():
    assert PERIODIC["matching.jobs.expire_offers"] <= 300
    assert "matching.jobs.retry_unmatched" in PERIODIC


def test_entering_matching_queues_the_match_job_and_the_pipeline_offers(pg_url, session, settings):
    profile = make_reviewer(session, "rev@example.com", ["security"])
    ticket = matching_ticket(session, make_user(session, "dev@example.com"))
    drain(settings)
    session.refresh(ticket)
    assert ticket.status == "offered"
    offer = session.scalar(select(Offer))
    assert offer.reviewer_id == profile.user_id


def test_load_spreads_evenly_across_equally_good_reviewers(pg_url, session, settings):
    reviewers = [
        make_reviewer(session, f"r{i}@example.com", ["security", "python"], capacity=50)
        for i in range(4)
    ]
    owner = make_user(session, "dev@example.com")
    for _ in range(40):
        ticket = matching_ticket(session, owner, languages=["python"])
        assert match_ticket(ticket.id, settings) == "offered"
        offer = session.scalar(select(Offer).where(Offer.submission_id == ticket.id))
        accept_offer(session, offer.id, offer.reviewer_id)
        session.commit()
    counts = Counter(session.scalars(select(Submission.reviewer_id)))
    assert sorted(counts.values()) == [10, 10, 10, 10]
    assert set(counts) == {r.user_id for r in reviewers}


def test_offers_rotate_even_when_nobody_answers(pg_url, session, settings):
    for i in range(3):
        make_reviewer(session, f"r{i}@example.com", ["security"], capacity=50)
    owner = make_user(session, "dev@example.com")
    for _ in range(9):
        match_ticket(matching_ticket(session, owner).id, settings)
    counts = Counter(session.scalars(select(Offer.reviewer_id)))
    assert sorted(counts.values()) == [3, 3, 3]


def test_nobody_suitable_means_unmatched_with_the_message(pg_url, session, settings):
    make_reviewer(session, "rev@example.com", ["performance"])
    ticket = matching_ticket(session, make_user(session, "dev@example.com"))
    assert match_ticket(ticket.id, settings) == "unmatched"
    session.refresh(ticket)
    assert (ticket.status, ticket.status_reason, ticket.error_code) == (
        "unmatched",
        NO_REVIEWER,
        "no_reviewer",
    )


def test_an_unmatched_ticket_is_retried_when_a_reviewer_frees_capacity(pg_url, session, settings):
    profile = make_reviewer(session, "rev@example.com", ["security"], capacity=1)
    owner = make_user(session, "dev@example.com")
    first = matching_ticket(session, owner)
    match_ticket(first.id, settings)
    accept_offer(session, session.scalar(select(Offer)).id, profile.user_id)
    session.commit()
    waiting = matching_ticket(session, owner)
    assert match_ticket(waiting.id, settings) == "unmatched"
    transition(session, first, "cancelled", reason="Changed my mind")  # frees the reviewer
    session.commit()
    drain(settings)
    session.refresh(waiting)
    session.refresh(profile)
    assert waiting.status == "offered"
    assert (profile.open_reviews, profile.pending_offers) == (0, 1)


def test_an_unmatched_ticket_is_retried_when_a_new_reviewer_is_verified(pg_url, session, settings):
    ticket = matching_ticket(session, make_user(session, "dev@example.com"))
    drain(settings)
    session.refresh(ticket)
    assert ticket.status == "unmatched"
    make_reviewer(session, "rev@example.com", ["security"])
    session.commit()
    drain(settings)
    session.refresh(ticket)
    assert ticket.status == "offered"


def test_the_scheduled_retry_waits_for_its_time_and_stays_quiet_when_nobody_fits(
    pg_url, session, settings
):
    ticket = matching_ticket(session, make_user(session, "dev@example.com"))
    match_ticket(ticket.id, settings)
    assert retry_unmatched(due_only=True, settings=settings) == 0  # not due yet
    session.execute(update(Submission).values(next_match_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert retry_unmatched(due_only=True, settings=settings) == 0  # due, but still nobody
    session.refresh(ticket)
    assert ticket.status == "unmatched" and ticket.next_match_at > utcnow()
    make_reviewer(session, "rev@example.com", ["security"])
    session.execute(update(Submission).values(next_match_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert retry_unmatched(due_only=True, settings=settings) == 1
    session.refresh(ticket)
    assert ticket.status == "matching"


def test_cancelling_an_offered_ticket_gives_the_reviewer_slot_back(pg_url, session, settings):
    profile = make_reviewer(session, "rev@example.com", ["security"], capacity=1)
    ticket = matching_ticket(session, make_user(session, "dev@example.com"))
    match_ticket(ticket.id, settings)
    transition(session, ticket, "cancelled")
    session.commit()
    drain(settings)
    drain(settings)  # a repeated run changes nothing more
    session.refresh(profile)
    offer = session.scalar(select(Offer))
    assert offer.status == "withdrawn" and profile.pending_offers == 0
    assert session.get(ReviewerProfile, profile.id).open_reviews == 0


def test_a_ticket_handed_back_from_review_releases_the_reviewers_load_once(
    pg_url, session, settings
):
    profile = make_reviewer(session, "rev@example.com", ["security"], capacity=1)
    ticket = matching_ticket(session, make_user(session, "dev@example.com"))
    match_ticket(ticket.id, settings)
    accept_offer(session, session.scalar(select(Offer)).id, profile.user_id)
    session.commit()
    transition(session, ticket, "matching", reason="Reviewer unavailable")
    session.commit()
    from matching.jobs import ticket_event

    ticket_event(ticket.id, "ticket.matching", previous="in_review")
    ticket_event(ticket.id, "ticket.matching", previous="in_review")
    session.refresh(profile)
    assert profile.open_reviews == 0


def test_completing_a_review_frees_the_reviewer_for_a_waiting_ticket(pg_url, session, settings):
    from reviews.completion import complete_review
    from reviews.state import Actor

    profile = make_reviewer(session, "rev@example.com", ["security"], capacity=1)
    owner = make_user(session, "dev@example.com")
    first = matching_ticket(session, owner)
    drain(settings)
    accept_offer(session, session.scalar(select(Offer)).id, profile.user_id)
    session.commit()
    waiting = matching_ticket(session, owner)
    drain(settings)
    session.refresh(waiting)
    assert waiting.status == "unmatched"
    complete_review(
        session,
        first,
        actor=Actor(user_id=profile.user_id),
        overall="Fine",
        security="No issues",
        performance="OK",
        best_practices="OK",
        verdict=None,
        origin="github",
    )
    session.commit()
    drain(settings)
    session.refresh(waiting)
    session.refresh(profile)
    assert waiting.status == "offered"
    assert (profile.open_reviews, profile.pending_offers, profile.completed_reviews) == (0, 1, 1)

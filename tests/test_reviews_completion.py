"""reviews.completion: completing a review needs its summary and moves the ticket on."""

import pytest

from models.outbox import Outbox
from models.reviewers import ReviewerProfile
from models.tickets import TicketStatus
from reviews.completion import ReviewError, complete_review, feedback_for, update_feedback
from reviews.state import Actor
from tests.support.factories import make_reviewer, make_user, ticket_in_review

SUMMARY = {
    "overall": "Solid code with two serious issues.",
    "security": "SQL built by string concatenation in users.py:42.",
    "performance": "N+1 queries in the order list.",
    "best_practices": "Add type hints to the public functions.",
}


@pytest.fixture
def ticket(session):
    return ticket_in_review(session, make_user(session), make_reviewer(session))


def test_completing_stores_the_summary_and_completes_the_ticket(session, ticket):
    feedback = complete_review(
        session,
        ticket,
        actor=Actor(user_id=ticket.reviewer_id),
        verdict="changes_required",
        **SUMMARY,
    )
    session.commit()
    assert ticket.status == TicketStatus.COMPLETED
    assert ticket.completed_at is not None
    session.expire_all()
    stored = feedback_for(session, ticket)
    assert stored.id == feedback.id and stored.security == SUMMARY["security"]
    events = [r.kwargs.get("event") for r in session.query(Outbox)]
    assert "ticket.completed" in events


def test_the_reviewers_counters_move_from_open_to_completed(session, ticket):
    complete_review(
        session, ticket, actor=Actor(user_id=ticket.reviewer_id), verdict="approved", **SUMMARY
    )
    session.commit()
    profile = session.query(ReviewerProfile).filter_by(user_id=ticket.reviewer_id).one()
    session.refresh(profile)
    assert (profile.open_reviews, profile.completed_reviews) == (0, 1)
    assert profile.median_turnaround_hours is not None


@pytest.mark.parametrize("missing", ["overall", "security", "performance", "best_practices"])
def test_from_the_web_every_section_is_required(session, ticket, missing):
    with pytest.raises(ReviewError, match="Please fill in"):
        complete_review(
            session, ticket, actor=Actor(), verdict="approved", **{**SUMMARY, missing: "  "}
        )
    assert ticket.status == TicketStatus.IN_REVIEW


def test_from_the_web_a_verdict_is_required(session, ticket):
    with pytest.raises(ReviewError, match="verdict"):
        complete_review(session, ticket, actor=Actor(), **SUMMARY)


def test_a_review_submitted_in_the_pull_request_completes_with_the_sections_it_has(session, ticket):
    complete_review(session, ticket, actor=Actor(), overall="LGTM after the fix.", origin="github")
    assert ticket.status == TicketStatus.COMPLETED
    feedback = update_feedback(session, ticket, security="No injection found.")
    assert feedback.overall == "LGTM after the fix." and feedback.security


def test_only_a_review_in_progress_can_be_completed(session, ticket):
    complete_review(session, ticket, actor=Actor(), verdict="approved", **SUMMARY)
    with pytest.raises(ReviewError, match="in progress"):
        complete_review(session, ticket, actor=Actor(), verdict="approved", **SUMMARY)


def test_an_overlong_section_is_refused(session, ticket):
    with pytest.raises(ReviewError, match="too long"):
        complete_review(
            session,
            ticket,
            actor=Actor(),
            verdict="approved",
            **{**SUMMARY, "security": "x" * 20_001},
        )

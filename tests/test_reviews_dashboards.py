"""reviews.dashboards: what each dashboard lists."""

from datetime import timedelta

from models.base import utcnow
from models.offers import Offer
from models.reviewers import ExpertiseVerification, ReviewerProfile
from reviews import dashboards
from reviews.state import transition
from tests.support.factories import make_ticket, make_user
from tests.support.workspace import make_reviewer


def test_progress_places_each_status_on_the_line_or_at_its_end(session):
    owner = make_user(session)
    ticket = make_ticket(session, owner)
    assert dashboards.progress_of(ticket).step == 0
    transition(session, ticket, "scanning")
    transition(session, ticket, "rejected", reason="Malware found: Eicar-Signature")
    progress = dashboards.progress_of(ticket)
    assert (progress.end, progress.reason) == ("Rejected", "Malware found: Eicar-Signature")


def test_developer_tickets_are_paginated_newest_first_and_filtered_by_status(session):
    owner = make_user(session)
    other = make_user(session, "other@example.com")
    tickets = [make_ticket(session, owner) for _ in range(30)]
    make_ticket(session, other)
    for i, t in enumerate(tickets):
        t.created_at = utcnow() - timedelta(minutes=i)
    transition(session, tickets[0], "scanning")
    session.commit()
    first = dashboards.developer_tickets(session, owner)
    assert (first.total, first.pages, len(first.items)) == (30, 2, dashboards.PAGE_SIZE)
    assert first.items[0].id == tickets[0].id
    second = dashboards.developer_tickets(session, owner, page=2)
    assert len(second.items) == 30 - dashboards.PAGE_SIZE
    assert dashboards.developer_tickets(session, owner, page=99).page == 2
    scanning = dashboards.developer_tickets(session, owner, status="scanning")
    assert [t.id for t in scanning.items] == [tickets[0].id]
    assert dashboards.status_counts(session, owner) == {"submitted": 29, "scanning": 1}


def test_reviewer_board_lists_open_offers_with_time_left_and_reviews(session):
    reviewer = make_reviewer(session, "rev@example.com", "rev")
    owner = make_user(session)
    ticket = make_ticket(session, owner)
    expired = make_ticket(session, owner)
    session.add_all(
        [
            Offer(
                submission_id=ticket.id,
                reviewer_id=reviewer.id,
                expires_at=utcnow() + timedelta(hours=2, minutes=5),
            ),
            Offer(
                submission_id=expired.id,
                reviewer_id=reviewer.id,
                expires_at=utcnow() - timedelta(minutes=1),
            ),
        ]
    )
    session.commit()
    board = dashboards.reviewer_board(session, reviewer)
    assert [o.submission_id for o in board.offers] == [ticket.id]
    assert dashboards.time_left(board.offers[0].expires_at).startswith("2 h")
    assert isinstance(board.profile, ReviewerProfile)


def test_admin_board_counts_queues_and_pending_verifications(session):
    owner = make_user(session)
    ticket = make_ticket(session, owner)
    for status in ("scanning", "matching", "unmatched"):
        transition(session, ticket, status, reason="No reviewer with python available")
    make_ticket(session, owner)
    reviewer = make_reviewer(session, "rev@example.com", "rev")
    profile = session.query(ReviewerProfile).filter_by(user_id=reviewer.id).one()
    session.add(ExpertiseVerification(profile_id=profile.id, tag="rust"))
    session.commit()
    board = dashboards.admin_board(session)
    assert board.by_status == {"unmatched": 1, "submitted": 1}
    assert [t.id for t in board.unmatched] == [ticket.id]
    assert board.pending_count == 1 and board.pending_verifications[0].tag == "rust"


def test_the_developer_page_query_is_served_by_the_owner_created_index(session, pg_url):
    from sqlalchemy import insert, text

    from models.tickets import Submission, new_ticket_id

    owner = make_user(session)
    now = utcnow()
    rows = [
        {
            "ticket_id": new_ticket_id(),
            "owner_id": owner.id if i % 10 == 0 else None,
            "source": "upload",
            "status": "submitted",
            "review_types": [],
            "created_at": now - timedelta(minutes=i),
            "updated_at": now,
            "submitted_at": now,
            "status_changed_at": now,
        }
        for i in range(5000)
    ]
    session.execute(insert(Submission), rows)
    session.commit()
    session.execute(text("ANALYZE submissions"))
    plan = "\n".join(
        row[0]
        for row in session.execute(
            text(
                "EXPLAIN SELECT id FROM submissions WHERE owner_id = :o "
                "ORDER BY created_at DESC, id DESC LIMIT 25"
            ),
            {"o": owner.id},
        )
    )
    assert "ix_submissions_owner_created" in plan, plan

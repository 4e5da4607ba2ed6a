"""web.dashboard: developer, reviewer and admin sections."""

from datetime import timedelta

from models.base import utcnow
from models.offers import Offer
from reviews.state import transition
from tests.support.factories import make_ticket, make_user
from tests.support.workspace import make_reviewer, make_workspace, sign_in


def test_the_developer_sees_their_tickets_with_a_progress_line_and_reviewer(
    client, session, settings, tmp_path
):
    ws = make_workspace(session, settings, tmp_path)
    rejected = make_ticket(session, ws.owner)
    transition(session, rejected, "scanning")
    transition(session, rejected, "rejected", reason="Malware found")
    session.commit()
    sign_in(client, ws.owner)
    html = client.get("/dashboard").text
    assert ws.ticket.ticket_id in html and rejected.ticket_id in html
    assert 'aria-current="step">In progress<' in html
    assert "Reva Viewer" in html and "Malware found" in html
    filtered = client.get("/dashboard?status=rejected").text
    assert rejected.ticket_id in filtered and ws.ticket.ticket_id not in filtered


def test_an_unknown_status_filter_or_page_is_ignored(client, session):
    owner = make_user(session)
    make_ticket(session, owner)
    session.commit()
    sign_in(client, owner)
    assert client.get("/dashboard?status=bogus&page=abc").status_code == 200


def test_the_reviewer_sees_offers_linking_to_the_offer_page_and_reviews_in_progress(
    client, session, settings, tmp_path
):
    ws = make_workspace(session, settings, tmp_path)
    offered = make_ticket(session, make_user(session, "d2@example.com"))
    offer = Offer(
        submission_id=offered.id,
        reviewer_id=ws.reviewer.id,
        expires_at=utcnow() + timedelta(minutes=30),
    )
    session.add(offer)
    session.commit()
    sign_in(client, ws.reviewer)
    html = client.get("/dashboard").text
    assert f'href="/offers/{offer.id}"' in html and "min left" in html
    assert f"/tickets/{ws.ticket.ticket_id}/code" in html
    assert "/reviewers/reva" in html


def test_the_admin_sees_the_queues(client, session):
    admin = make_user(session, "admin@example.com", "admin")
    make_ticket(session, make_user(session))
    make_reviewer(session, "r@example.com", "r")
    session.commit()
    sign_in(client, admin)
    html = client.get("/dashboard").text
    assert 'id="admin"' in html and "Pending verifications" in html and "Unmatched tickets" in html


def test_the_dashboard_needs_sign_in(client):
    assert client.get("/dashboard").status_code == 302

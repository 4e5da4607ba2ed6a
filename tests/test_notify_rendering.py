"""Rendering a recorded delivery: subject, escaping, links made at send time."""

from __future__ import annotations

from sqlalchemy import select

from models.notifications import EmailDelivery
from notify import jobs
from notify.rendering import render
from reviews.state import transition
from tests.support.factories import make_ticket, make_user
from tests.support.notify import make_offer, make_reviewer


def test_html_is_escaped_in_the_html_part_and_kept_plain_in_the_text_part(session, settings):
    dev = make_user(session, "dev@example.com")
    ticket = make_ticket(session, dev)
    transition(session, ticket, "scanning")
    transition(session, ticket, "rejected", reason="Archive contains <script>alert(1)</script>")
    session.commit()
    jobs.notify_event("ticket.rejected", ticket_id=ticket.id)
    delivery = session.scalar(select(EmailDelivery).where(EmailDelivery.event == "ticket.rejected"))
    email = render(settings, session, delivery)

    assert "<script>" not in email.html and "&lt;script&gt;" in email.html
    assert "<script>alert(1)</script>" in email.text
    assert email.subject == f"[{ticket.ticket_id}] Review request {ticket.ticket_id} was rejected"


def test_no_token_is_stored_and_a_late_offer_email_carries_no_answer_links(session, settings):
    dev = make_user(session, "dev@example.com")
    rev = make_reviewer(session)
    offer = make_offer(session, make_ticket(session, dev), rev)
    session.commit()
    jobs.notify_event("offer.created", offer_id=offer.id)
    delivery = session.scalar(select(EmailDelivery).where(EmailDelivery.event == "offer.created"))
    assert "token" not in str(delivery.meta)

    assert "email-answer?token=" in render(settings, session, delivery).text
    offer.status = "expired"
    session.commit()
    late = render(settings, session, delivery)
    assert "email-answer" not in late.text and "email-answer" not in late.html
    assert "already been answered or has expired" in late.text

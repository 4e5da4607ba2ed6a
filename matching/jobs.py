"""Matching's jobs: match a ticket, expire lapsed offers, retry tickets nobody could take.

All take ids (or nothing) and are idempotent: a second run finds the work done and stops.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any

from sqlalchemy import or_, select

from matching.candidates import has_candidate
from matching.offers import expire_offer, offer_next, release_load, withdraw_offers_for_ticket
from models.base import utcnow
from models.db import session_scope
from models.offers import Offer, OfferStatus
from models.tickets import Submission, TicketStatus
from reviews.state import Actor, lock_ticket, transition
from settings import Settings, load_settings

log = logging.getLogger(__name__)

NO_REVIEWER = "No reviewers are available at the moment. Please try again later."
BATCH = 200


def match_ticket(ticket_id: int, settings: Settings | None = None) -> str:
    """Offer a ``matching`` ticket to the best reviewer with room, or mark it ``unmatched``.

    Returns what happened: ``offered``, ``unmatched`` or ``skipped`` (not in ``matching``, or it
    already has an open offer — a repeated run).
    """
    settings = settings or load_settings()
    with session_scope() as session:
        ticket = lock_ticket(session, ticket_id)
        if ticket is None or ticket.status != TicketStatus.MATCHING.value:
            return "skipped"
        if offer_next(session, ticket, settings) is not None:
            return "offered"
        transition(session, ticket, TicketStatus.UNMATCHED, reason=NO_REVIEWER)
        ticket.error_code = "no_reviewer"
        ticket.next_match_at = utcnow() + timedelta(seconds=settings.unmatched_retry_seconds)
        return "unmatched"


def rematch(session: Any, ticket: Submission, actor: Actor) -> None:
    """Send an ``unmatched`` ticket back to matching now (the developer's "try again")."""
    transition(
        session, ticket, TicketStatus.MATCHING, actor=actor, reason="Looking for a reviewer again."
    )
    ticket.error_code = None
    ticket.next_match_at = None


def expire_offers() -> int:
    """Periodic: expire every open offer past its time; each ticket moves to the next candidate."""
    with session_scope() as session:
        due = list(
            session.scalars(
                select(Offer.id)
                .where(Offer.status == OfferStatus.OFFERED.value, Offer.expires_at <= utcnow())
                .order_by(Offer.expires_at)
                .limit(BATCH)
            )
        )
    expired = 0
    for offer_id in due:
        with session_scope() as session:
            expired += expire_offer(session, offer_id)
    return expired


def retry_unmatched(due_only: bool = True, settings: Settings | None = None) -> int:
    """Send unmatched tickets back to matching when someone could now take them.

    Periodically (``due_only``) for tickets whose retry time has come; immediately (not
    ``due_only``) when a reviewer became available or freed capacity. A ticket nobody can take
    yet stays ``unmatched`` quietly (no repeated "no reviewer" notice) and waits for its next turn.
    """
    settings = settings or load_settings()
    now = utcnow()
    with session_scope() as session:
        query = select(Submission.id).where(Submission.status == TicketStatus.UNMATCHED.value)
        if due_only:
            query = query.where(
                or_(Submission.next_match_at.is_(None), Submission.next_match_at <= now)
            )
        ids = list(
            session.scalars(query.order_by(Submission.unmatched_at, Submission.id).limit(BATCH))
        )
    retried = 0
    for ticket_id in ids:
        with session_scope() as session:
            ticket = lock_ticket(session, ticket_id)
            if ticket is None or ticket.status != TicketStatus.UNMATCHED.value:
                continue
            if has_candidate(session, ticket):
                rematch(session, ticket, Actor(label="system"))
                retried += 1
            elif due_only:
                ticket.next_match_at = now + timedelta(seconds=settings.unmatched_retry_seconds)
    return retried


def ticket_event(ticket_id: int, event: str, previous: str | None = None, **_extra: Any) -> None:
    """Give back a reviewer's slot when a ticket they held ends or is handed back, then retry
    unmatched tickets (handler in ``reviews.state.EVENT_HANDLERS``; idempotent)."""
    freed = False
    with session_scope() as session:
        if event == "ticket.cancelled":
            withdraw_offers_for_ticket(session, ticket_id, "The ticket was cancelled.")
            freed = release_load(session, ticket_id) or previous == TicketStatus.OFFERED.value
        elif event == "ticket.matching" and previous == TicketStatus.IN_REVIEW.value:
            freed = release_load(session, ticket_id)  # the reviewer handed the ticket back
        elif event == "ticket.completed":
            freed = True  # completion (reviews.completion) lowered the reviewer's load
    if freed:
        retry_unmatched(due_only=False)

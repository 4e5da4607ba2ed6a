"""Offers: proposing a ticket to a reviewer, and the reviewer's answer.

Capacity is guarded by atomic conditional updates on the reviewer's row: an offer reserves a
slot (``pending_offers + 1`` only while ``open_reviews + pending_offers < capacity``), accepting
turns the reservation into load (``open_reviews + 1``), and declining, expiry or withdrawal give
it back. Two workers matching at once serialise on that row, and the loser moves on to the next
candidate, so nobody is ever pushed over capacity. A partial unique index keeps one open offer
per ticket.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import case, select, update
from sqlalchemy.orm import Session

from jobs.outbox import enqueue
from matching.candidates import find_candidates
from matching.scoring import Weights
from models.base import utcnow
from models.offers import Offer, OfferStatus
from models.reviewers import ReviewerProfile
from models.tickets import Submission, TicketStatus
from reviews.state import Actor, lock_ticket, transition
from settings import Settings, load_settings

P = ReviewerProfile
NOTIFY = "notify.jobs.notify_event"


class OfferError(ValueError):
    """The answer cannot be taken; the message says why, for the reviewer."""


def open_offer_for(session: Session, ticket_id: int) -> Offer | None:
    return session.scalar(
        select(Offer).where(
            Offer.submission_id == ticket_id, Offer.status == OfferStatus.OFFERED.value
        )
    )


def _reserve(session: Session, profile_id: int) -> bool:
    now = utcnow()
    reserved = session.execute(
        update(P)
        .where(
            P.id == profile_id,
            P.available,
            P.open_reviews + P.pending_offers < P.capacity,
        )
        .values(pending_offers=P.pending_offers + 1, last_offered_at=now)
        .returning(P.id)
        .execution_options(synchronize_session=False)
    ).first()
    return reserved is not None


def _release_reservation(session: Session, user_id: int) -> None:
    session.execute(
        update(P)
        .where(P.user_id == user_id, P.pending_offers > 0)
        .values(pending_offers=P.pending_offers - 1)
        .execution_options(synchronize_session=False)
    )


def offer_next(
    session: Session, ticket: Submission, settings: Settings | None = None
) -> Offer | None:
    """Offer ``ticket`` (locked by the caller, in ``matching``) to the best candidate with room.

    Returns the open offer (an existing one when there is one) or ``None`` when nobody can take it.
    """
    existing = open_offer_for(session, ticket.id)
    if existing is not None:
        return existing
    settings = settings or load_settings()
    weights = Weights.from_settings(settings)
    for candidate in find_candidates(session, ticket, weights, limit=5):
        if not _reserve(session, candidate.profile_id):
            continue  # someone else took the last slot a moment ago: next candidate
        now = utcnow()
        offer = Offer(
            submission_id=ticket.id,
            reviewer_id=candidate.user_id,
            status=OfferStatus.OFFERED.value,
            score=candidate.score,
            explanation=candidate.explanation,
            created_at=now,
            expires_at=now + timedelta(seconds=settings.offer_ttl_seconds),
        )
        session.add(offer)
        session.flush()
        ticket.match_explanation = {**candidate.explanation, "offer_id": offer.id}
        ticket.matched_at = now
        transition(session, ticket, TicketStatus.OFFERED, offer_id=offer.id)
        enqueue(session, NOTIFY, event="offer.created", offer_id=offer.id)
        return offer
    return None


def _lock_offer(session: Session, offer_id: int) -> Offer | None:
    query = select(Offer).where(Offer.id == offer_id)
    if session.get_bind().dialect.name == "postgresql":
        query = query.with_for_update()
    return session.scalar(query.execution_options(populate_existing=True))


def _answerable(session: Session, offer_id: int, user_id: int, answer: OfferStatus) -> Offer | None:
    """The locked offer, or ``None`` when this exact answer was already given (idempotent)."""
    offer = _lock_offer(session, offer_id)
    if offer is None or offer.reviewer_id != user_id:
        raise OfferError("We could not find that offer.")
    if offer.status == answer.value:
        return None
    if offer.status != OfferStatus.OFFERED.value:
        raise OfferError(f"This offer is no longer open: it was {offer.status}.")
    if offer.expires_at <= utcnow():
        raise OfferError("This offer has expired.")
    return offer


def accept_offer(session: Session, offer_id: int, user_id: int) -> Offer:
    """Take the ticket: it goes ``in_review`` with this reviewer, whose load grows by one."""
    offer = _answerable(session, offer_id, user_id, OfferStatus.ACCEPTED)
    if offer is None:
        return session.get(Offer, offer_id)  # type: ignore[return-value]
    ticket = lock_ticket(session, offer.submission_id)
    if ticket is None or ticket.status != TicketStatus.OFFERED.value:
        raise OfferError("This ticket is no longer waiting for a reviewer.")
    took = session.execute(
        update(P)
        .where(P.user_id == user_id, P.open_reviews < P.capacity)
        .values(
            open_reviews=P.open_reviews + 1,
            pending_offers=case((P.pending_offers > 0, P.pending_offers - 1), else_=0),
        )
        .returning(P.id)
        .execution_options(synchronize_session=False)
    ).first()
    if took is None:
        raise OfferError("You are at capacity. Finish or hand back a review before accepting.")
    offer.status = OfferStatus.ACCEPTED.value
    offer.decided_at = utcnow()
    ticket.reviewer_id = user_id
    transition(
        session, ticket, TicketStatus.IN_REVIEW, actor=Actor(user_id=user_id), offer_id=offer.id
    )
    return offer


def _close(session: Session, offer: Offer, status: OfferStatus, reason: str, actor: Actor) -> None:
    """End an open offer, give back the reserved slot and look for the next candidate."""
    offer.status = status.value
    offer.decided_at = utcnow()
    offer.reason = reason[:2000]
    _release_reservation(session, offer.reviewer_id)
    ticket = lock_ticket(session, offer.submission_id)
    if ticket is not None and ticket.status == TicketStatus.OFFERED.value:
        transition(session, ticket, TicketStatus.MATCHING, actor=actor, offer_id=offer.id)
    # The freed slot may suit a ticket that found nobody earlier.
    enqueue(session, "matching.jobs.retry_unmatched", due_only=False)


def decline_offer(session: Session, offer_id: int, user_id: int, reason: str = "") -> Offer:
    """Say no (optionally why); the ticket is offered to the next candidate."""
    offer = _answerable(session, offer_id, user_id, OfferStatus.DECLINED)
    if offer is None:
        return session.get(Offer, offer_id)  # type: ignore[return-value]
    _close(session, offer, OfferStatus.DECLINED, reason.strip(), Actor(user_id=user_id))
    enqueue(session, NOTIFY, event="offer.declined", offer_id=offer.id)
    return offer


def expire_offer(session: Session, offer_id: int) -> bool:
    """Expire one lapsed offer (idempotent); returns whether it was still open and due."""
    offer = _lock_offer(session, offer_id)
    if offer is None or offer.status != OfferStatus.OFFERED.value or offer.expires_at > utcnow():
        return False
    _close(
        session,
        offer,
        OfferStatus.EXPIRED,
        "No answer before the offer expired.",
        Actor(label="system"),
    )
    enqueue(session, NOTIFY, event="offer.expired", offer_id=offer.id)
    return True


def withdraw_offers_for_reviewer(
    session: Session, user_id: int, reason: str, only: list[int] | None = None
) -> list[int]:
    """Withdraw the open offers a reviewer holds (all, or ``only`` those); returns their ids.

    Each ticket goes back to matching and is offered to the next candidate.
    """
    query = select(Offer.id).where(
        Offer.reviewer_id == user_id, Offer.status == OfferStatus.OFFERED.value
    )
    if only is not None:
        query = query.where(Offer.id.in_(only))
    withdrawn = []
    for offer_id in list(session.scalars(query)):
        offer = _lock_offer(session, offer_id)
        if offer is not None and offer.status == OfferStatus.OFFERED.value:
            _close(session, offer, OfferStatus.WITHDRAWN, reason, Actor(label="system"))
            withdrawn.append(offer_id)
    return withdrawn


def withdraw_offers_for_ticket(session: Session, ticket_id: int, reason: str) -> None:
    """A cancelled ticket's open offer is withdrawn and the reviewer's slot given back."""
    offer = open_offer_for(session, ticket_id)
    if offer is None:
        return
    offer = _lock_offer(session, offer.id)
    if offer is not None and offer.status == OfferStatus.OFFERED.value:
        offer.status = OfferStatus.WITHDRAWN.value
        offer.decided_at = utcnow()
        offer.reason = reason
        _release_reservation(session, offer.reviewer_id)


def release_load(session: Session, ticket_id: int) -> bool:
    """Give back the load an accepted offer took (ticket cancelled in review); idempotent."""
    released = session.execute(
        update(Offer)
        .where(
            Offer.submission_id == ticket_id,
            Offer.status == OfferStatus.ACCEPTED.value,
            Offer.released_at.is_(None),
        )
        .values(released_at=utcnow())
        .returning(Offer.reviewer_id)
        .execution_options(synchronize_session=False)
    ).all()
    for row in released:
        session.execute(
            update(P)
            .where(P.user_id == row.reviewer_id, P.open_reviews > 0)
            .values(open_reviews=P.open_reviews - 1)
            .execution_options(synchronize_session=False)
        )
    return bool(released)

"""matching.offers: one open offer per ticket, answers, expiry, capacity never exceeded."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select, update

from matching.jobs import match_ticket
from matching.offers import OfferError, accept_offer, decline_offer, offer_next
from models.base import utcnow
from models.db import new_session
from models.offers import Offer
from models.outbox import Outbox
from models.reviewers import ReviewerProfile
from models.tickets import Submission
from reviews.state import lock_ticket, transition
from tests.support.factories import make_ticket, make_user
from tests.support.reviewers import make_reviewer


def matching_ticket(session, owner=None, **fields):
    owner = owner or make_user(session, f"dev{utcnow().timestamp()}@example.com")
    ticket = make_ticket(session, owner, **fields)
    transition(session, ticket, "scanning")
    transition(session, ticket, "matching")
    session.commit()
    return ticket


def notify_events(session) -> list[tuple[str, dict]]:
    rows = session.scalars(
        select(Outbox).where(Outbox.job == "notify.jobs.notify_event").order_by(Outbox.id)
    )
    return [(r.kwargs["event"], r.kwargs) for r in rows]


def test_offering_reserves_a_slot_records_why_and_announces_it(pg_url, session, settings):
    profile = make_reviewer(session, "rev@example.com", ["security", "python"])
    ticket = matching_ticket(session, languages=["python"])
    offer = offer_next(session, lock_ticket(session, ticket.id), settings)
    session.commit()
    session.refresh(profile)
    assert offer.reviewer_id == profile.user_id and ticket.status == "offered"
    assert profile.pending_offers == 1 and profile.open_reviews == 0
    assert offer.expires_at - offer.created_at == timedelta(seconds=settings.offer_ttl_seconds)
    assert ticket.match_explanation["matched_tags"] == ["security", "python"]
    assert offer.explanation["summary"]
    assert ("offer.created", {"event": "offer.created", "offer_id": offer.id}) in notify_events(
        session
    )


def test_a_second_match_of_the_same_ticket_keeps_its_one_open_offer(pg_url, session, settings):
    make_reviewer(session, "a@example.com", ["security"])
    make_reviewer(session, "b@example.com", ["security"])
    ticket = matching_ticket(session)
    assert match_ticket(ticket.id, settings) == "offered"
    assert match_ticket(ticket.id, settings) == "skipped"
    count = session.scalar(select(func.count()).select_from(Offer))
    assert count == 1


def test_accepting_puts_the_ticket_in_review_with_that_reviewer(pg_url, session, settings):
    profile = make_reviewer(session, "rev@example.com", ["security"])
    ticket = matching_ticket(session)
    match_ticket(ticket.id, settings)
    offer = session.scalar(select(Offer))
    accept_offer(session, offer.id, profile.user_id)
    session.commit()
    session.refresh(ticket)
    session.refresh(profile)
    assert ticket.status == "in_review" and ticket.reviewer_id == profile.user_id
    assert (profile.open_reviews, profile.pending_offers) == (1, 0)
    again = accept_offer(session, offer.id, profile.user_id)  # idempotent
    assert again.status == "accepted"
    with pytest.raises(OfferError, match="no longer open"):
        decline_offer(session, offer.id, profile.user_id)


def test_someone_else_cannot_answer_an_offer(pg_url, session, settings):
    make_reviewer(session, "rev@example.com", ["security"])
    other = make_reviewer(session, "other@example.com", ["performance"])
    ticket = matching_ticket(session)
    match_ticket(ticket.id, settings)
    offer = session.scalar(select(Offer))
    with pytest.raises(OfferError, match="could not find"):
        accept_offer(session, offer.id, other.user_id)


def test_declining_offers_the_ticket_to_the_next_candidate(pg_url, session, settings):
    first = make_reviewer(session, "a@example.com", ["security"])
    second = make_reviewer(session, "b@example.com", ["security"])
    ticket = matching_ticket(session)
    match_ticket(ticket.id, settings)
    offer = session.scalar(select(Offer))
    chosen, other = (first, second) if offer.reviewer_id == first.user_id else (second, first)
    decline_offer(session, offer.id, chosen.user_id, reason="On holiday")
    session.commit()
    assert decline_offer(session, offer.id, chosen.user_id).reason == "On holiday"  # idempotent
    session.refresh(ticket)
    assert ticket.status == "matching"
    assert match_ticket(ticket.id, settings) == "offered"
    current = session.scalar(select(Offer).where(Offer.status == "offered"))
    assert current.reviewer_id == other.user_id
    session.refresh(chosen)
    assert chosen.pending_offers == 0
    assert "offer.declined" in [e for e, _ in notify_events(session)]


def test_a_decline_chain_ends_unmatched_with_the_message(pg_url, session, settings):
    reviewers = [make_reviewer(session, f"r{i}@example.com", ["security"]) for i in range(3)]
    ticket = matching_ticket(session)
    for _ in reviewers:
        assert match_ticket(ticket.id, settings) == "offered"
        offer = session.scalar(select(Offer).where(Offer.status == "offered"))
        decline_offer(session, offer.id, offer.reviewer_id)
        session.commit()
    assert match_ticket(ticket.id, settings) == "unmatched"
    session.refresh(ticket)
    assert ticket.status == "unmatched"
    assert ticket.status_reason == (
        "No reviewers are available at the moment. Please try again later."
    )
    assert ticket.next_match_at is not None


def test_an_unanswered_offer_expires_and_goes_to_the_next_candidate(pg_url, session, settings):
    from matching.jobs import expire_offers

    make_reviewer(session, "a@example.com", ["security"])
    make_reviewer(session, "b@example.com", ["security"])
    ticket = matching_ticket(session)
    match_ticket(ticket.id, settings)
    first = session.scalar(select(Offer))
    assert expire_offers() == 0  # not due yet
    session.execute(update(Offer).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    assert expire_offers() == 1
    assert expire_offers() == 0
    session.refresh(first)
    assert first.status == "expired"
    with pytest.raises(OfferError):
        accept_offer(session, first.id, first.reviewer_id)
    session.rollback()
    assert match_ticket(ticket.id, settings) == "offered"
    second = session.scalar(select(Offer).where(Offer.status == "offered"))
    assert second.reviewer_id != first.reviewer_id
    assert "offer.expired" in [e for e, _ in notify_events(session)]


def test_a_lapsed_offer_cannot_be_accepted_even_before_the_expiry_job(pg_url, session, settings):
    profile = make_reviewer(session, "rev@example.com", ["security"])
    ticket = matching_ticket(session)
    match_ticket(ticket.id, settings)
    session.execute(update(Offer).values(expires_at=utcnow() - timedelta(seconds=1)))
    session.commit()
    offer = session.scalar(select(Offer))
    with pytest.raises(OfferError, match="expired"):
        accept_offer(session, offer.id, profile.user_id)


def test_two_workers_matching_at_once_never_push_a_reviewer_over_capacity(
    pg_url, session, settings
):
    """Twelve tickets matched by twelve threads at once; two reviewers with room for 3 and 2."""
    make_reviewer(session, "a@example.com", ["security"], capacity=3)
    make_reviewer(session, "b@example.com", ["security"], capacity=2)
    owner = make_user(session, "dev@example.com")
    tickets = [matching_ticket(session, owner) for _ in range(12)]
    session.commit()
    barrier = threading.Barrier(len(tickets))
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def work(ticket_id: int) -> None:
        try:
            barrier.wait()
            outcomes.append(match_ticket(ticket_id, settings))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(t.id,)) for t in tickets]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert sorted(outcomes) == ["offered"] * 5 + ["unmatched"] * 7
    check = new_session()
    for profile in check.scalars(select(ReviewerProfile)):
        held = check.scalar(
            select(func.count())
            .select_from(Offer)
            .where(Offer.reviewer_id == profile.user_id, Offer.status == "offered")
        )
        assert profile.pending_offers == held == profile.capacity
    check.close()


def test_concurrent_accepts_never_exceed_capacity(pg_url, session, settings):
    """Capacity lowered after the offers went out: of two simultaneous accepts only one wins."""
    profile = make_reviewer(session, "rev@example.com", ["security"], capacity=2)
    owner = make_user(session, "dev@example.com")
    tickets = [matching_ticket(session, owner) for _ in range(2)]
    for t in tickets:
        match_ticket(t.id, settings)
    session.execute(update(ReviewerProfile).values(capacity=1))
    session.commit()
    offers = list(session.scalars(select(Offer)))
    barrier = threading.Barrier(2)
    results: list[str] = []

    def accept(offer_id: int) -> None:
        s = new_session()
        try:
            barrier.wait()
            accept_offer(s, offer_id, profile.user_id)
            s.commit()
            results.append("accepted")
        except OfferError:
            s.rollback()
            results.append("refused")
        finally:
            s.close()

    threads = [threading.Thread(target=accept, args=(o.id,)) for o in offers]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(results) == ["accepted", "refused"]
    session.expire_all()
    assert session.get(ReviewerProfile, profile.id).open_reviews == 1
    assert session.scalar(select(func.count()).select_from(Submission).where(
        Submission.status == "in_review")) == 1  # fmt: skip

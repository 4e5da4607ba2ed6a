"""The catalogue: which events exist, who hears about each, and what they are told.

Each event resolves its ids into the objects it talks about, then yields one ``Message`` per
recipient. ``occurrence`` names this happening of the event (a ticket can enter ``in_review``
twice; a rating is received once), so the same occurrence never notifies anyone twice.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, cast, select
from sqlalchemy.orm import Session

from models.offers import Offer
from models.reviewers import ExpertiseVerification, ReviewerProfile
from models.reviews import Rating
from models.tickets import Submission
from models.users import Role, User


@dataclass(frozen=True)
class Message:
    """What one recipient is told about one occurrence of one event."""

    user_id: int
    title: str
    body: str
    link: str | None = None
    submission_id: int | None = None
    ticket_id: str | None = None
    # extra values for the e-mail template (e.g. the offer whose links it carries)
    context: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class EventSpec:
    name: str
    label: str  # shown on the preferences page
    build: Callable[[Session, dict[str, Any]], Iterator[Message]]
    # e-mailed one by one, or gathered into the admins' periodic digest
    digest: bool = False


class UnknownObject(LookupError):
    """The ids name nothing (deleted since the event): there is nobody to tell."""


def ticket_link(ticket: Submission) -> str:
    return f"/tickets/{ticket.ticket_id}"


def _ticket(session: Session, ids: dict[str, Any]) -> Submission:
    ticket = session.get(Submission, int(ids["ticket_id"]))
    if ticket is None:
        raise UnknownObject(f"ticket {ids['ticket_id']}")
    return ticket


def _offer(session: Session, ids: dict[str, Any]) -> Offer:
    offer = session.get(Offer, int(ids["offer_id"]))
    if offer is None:
        raise UnknownObject(f"offer {ids['offer_id']}")
    return offer


def admins(session: Session) -> list[User]:
    """Active admins (roles are a JSON list; matching its text works on PostgreSQL and SQLite)."""
    rows = session.scalars(
        select(User).where(
            User.is_active.is_(True), cast(User.roles, String).like(f'%"{Role.ADMIN.value}"%')
        )
    )
    return [user for user in rows if user.has_role(Role.ADMIN)]


def _for_ticket(
    ticket: Submission, user_id: int | None, title: str, body: str, **context: Any
) -> Iterator[Message]:
    if user_id is not None:
        yield Message(
            user_id=user_id,
            title=title,
            body=body,
            link=ticket_link(ticket),
            submission_id=ticket.id,
            ticket_id=ticket.ticket_id,
            context=context,
        )


def _reviewer_name(session: Session, user_id: int | None) -> str:
    user = session.get(User, user_id) if user_id else None
    return user.display_name if user else "your reviewer"


# --- ticket status events ------------------------------------------------------------------


def ticket_submitted(session: Session, ids: dict[str, Any]) -> Iterator[Message]:
    if ids.get("previous"):  # a retry after a failed fetch: ticket.fetch_failed already told them
        return
    t = _ticket(session, ids)
    yield from _for_ticket(
        t,
        t.owner_id,
        f"Review request {t.ticket_id} received",
        "We have your request and are checking the code. We will tell you when a reviewer "
        "is matched.",
    )


def ticket_offered(session: Session, ids: dict[str, Any]) -> Iterator[Message]:
    t = _ticket(session, ids)
    yield from _for_ticket(
        t,
        t.owner_id,
        f"A reviewer was matched for {t.ticket_id}",
        "We found a verified reviewer with the right expertise and asked them to take your "
        "review. You will hear from us as soon as they start.",
    )


def ticket_in_review(session: Session, ids: dict[str, Any]) -> Iterator[Message]:
    t = _ticket(session, ids)
    if ids.get("previous") == "scanning":  # new commits re-scanned: the review carries on
        yield from _for_ticket(
            t,
            t.reviewer_id,
            f"Updated code for {t.ticket_id} is ready",
            "The developer pushed changes; they were scanned and are in the review workspace.",
        )
        return
    reviewer = _reviewer_name(session, t.reviewer_id)
    yield from _for_ticket(
        t, t.owner_id, f"Review started on {t.ticket_id}", f"{reviewer} has started your review."
    )
    yield from _for_ticket(
        t,
        t.reviewer_id,
        f"You are reviewing {t.ticket_id}",
        "The code is ready for you in the review workspace.",
    )


def ticket_completed(session: Session, ids: dict[str, Any]) -> Iterator[Message]:
    t = _ticket(session, ids)
    yield from _for_ticket(
        t,
        t.owner_id,
        f"Your review {t.ticket_id} is complete",
        "The reviewer's findings are ready. Please rate the review when you have read it.",
    )
    yield from _for_ticket(
        t,
        t.reviewer_id,
        f"Review {t.ticket_id} completed",
        "Thank you: your review was delivered to the developer.",
    )


def ticket_unmatched(session: Session, ids: dict[str, Any]) -> Iterator[Message]:
    t = _ticket(session, ids)
    yield from _for_ticket(
        t,
        t.owner_id,
        f"No reviewer available yet for {t.ticket_id}",
        "No verified reviewer with the right expertise is free right now. We keep trying "
        "and will tell you as soon as one is matched.",
    )


def ticket_rejected(session: Session, ids: dict[str, Any]) -> Iterator[Message]:
    t = _ticket(session, ids)
    reason = t.status_reason or "The submission could not be accepted."
    yield from _for_ticket(t, t.owner_id, f"Review request {t.ticket_id} was rejected", reason)


def ticket_cancelled(session: Session, ids: dict[str, Any]) -> Iterator[Message]:
    t = _ticket(session, ids)
    body = "The review request was cancelled."
    if t.status_reason:
        body = f"{body} {t.status_reason}"
    yield from _for_ticket(t, t.owner_id, f"Review request {t.ticket_id} cancelled", body)
    yield from _for_ticket(t, t.reviewer_id, f"Review request {t.ticket_id} cancelled", body)


def ticket_fetch_failed(session: Session, ids: dict[str, Any]) -> Iterator[Message]:
    t = _ticket(session, ids)
    yield from _for_ticket(
        t,
        t.owner_id,
        f"We could not fetch the code for {t.ticket_id}",
        "Unable to fetch the repository at this time. Please try again later.",
    )


def ticket_scan_failed(session: Session, ids: dict[str, Any]) -> Iterator[Message]:
    t = _ticket(session, ids)
    if t.status == "rejected":  # malware found: the rejection alert already gives the reason
        return
    yield from _for_ticket(
        t,
        t.owner_id,
        f"The security scan of {t.ticket_id} could not finish",
        t.status_reason or "The malware scan could not complete. We will retry automatically.",
    )


# --- offers, ratings, verification ---------------------------------------------------------


def offer_created(session: Session, ids: dict[str, Any]) -> Iterator[Message]:
    offer = _offer(session, ids)
    t = offer.submission
    kinds = ", ".join(t.review_types or []) or "code"
    langs = ", ".join(t.languages or [])
    body = f"A developer needs a {kinds} review" + (f" ({langs})." if langs else ".")
    yield from _for_ticket(
        t,
        offer.reviewer_id,
        f"New review request {t.ticket_id}",
        f"{body} Please accept or decline before the offer expires.",
        offer_id=offer.id,
        expires_at=offer.expires_at,
    )


def _offer_for_admins(session: Session, ids: dict[str, Any], verb: str) -> Iterator[Message]:
    offer = _offer(session, ids)
    t = offer.submission
    reviewer = _reviewer_name(session, offer.reviewer_id)
    body = f"{reviewer} {verb} the offer for {t.ticket_id}."
    if offer.reason:
        body = f"{body} Reason: {offer.reason}"
    for admin in admins(session):
        yield from _for_ticket(t, admin.id, f"Offer {verb} for {t.ticket_id}", body)


def offer_declined(session: Session, ids: dict[str, Any]) -> Iterator[Message]:
    yield from _offer_for_admins(session, ids, "declined")


def offer_expired(session: Session, ids: dict[str, Any]) -> Iterator[Message]:
    yield from _offer_for_admins(session, ids, "let expire")


def rating_received(session: Session, ids: dict[str, Any]) -> Iterator[Message]:
    rating = session.get(Rating, int(ids["rating_id"]))
    if rating is None:
        raise UnknownObject(f"rating {ids['rating_id']}")
    t = session.get(Submission, rating.submission_id)
    if t is None:
        raise UnknownObject(f"ticket {rating.submission_id}")
    yield from _for_ticket(
        t,
        rating.reviewer_id,
        f"You received a rating of {rating.score}/5 for {t.ticket_id}",
        "The developer rated your review. Thank you for your work.",
    )


def verification_decided(session: Session, ids: dict[str, Any]) -> Iterator[Message]:
    profile = session.get(ReviewerProfile, int(ids["profile_id"]))
    if profile is None:
        raise UnknownObject(f"reviewer profile {ids['profile_id']}")
    tag = str(ids["tag"])
    verification = session.scalar(
        select(ExpertiseVerification).where(
            ExpertiseVerification.profile_id == profile.id, ExpertiseVerification.tag == tag
        )
    )
    state = verification.state if verification else "decided"
    body = f"Your expertise in {tag} is now {state}."
    if verification is not None and verification.reason:
        body = f"{body} {verification.reason}"
    yield Message(
        user_id=profile.user_id,
        title=f"Your {tag} verification was {state}",
        body=body,
        link="/dashboard",
    )


CATALOGUE: dict[str, EventSpec] = {
    spec.name: spec
    for spec in (
        EventSpec("ticket.submitted", "Review request received", ticket_submitted),
        EventSpec("ticket.offered", "Reviewer matched", ticket_offered),
        EventSpec("ticket.in_review", "Review started", ticket_in_review),
        EventSpec("ticket.completed", "Review completed", ticket_completed),
        EventSpec("ticket.unmatched", "No reviewer available yet", ticket_unmatched),
        EventSpec("ticket.rejected", "Submission rejected", ticket_rejected),
        EventSpec("ticket.cancelled", "Review request cancelled", ticket_cancelled),
        EventSpec("ticket.fetch_failed", "Code could not be fetched", ticket_fetch_failed),
        EventSpec("ticket.scan_failed", "Security scan could not finish", ticket_scan_failed),
        EventSpec("offer.created", "New review request offered to you", offer_created),
        EventSpec("offer.declined", "Offer declined (admin digest)", offer_declined, digest=True),
        EventSpec("offer.expired", "Offer expired (admin digest)", offer_expired, digest=True),
        EventSpec("rating.received", "Rating received", rating_received),
        EventSpec("verification.decided", "Verification decided", verification_decided),
    )
}

# The admins' digest is a preference of its own.
DIGEST_EVENT = "admin.digest"
PREFERENCE_LABELS: dict[str, str] = {
    **{name: spec.label for name, spec in CATALOGUE.items() if not spec.digest},
    DIGEST_EVENT: "Admin digest of declined and expired offers",
}


def messages_for(session: Session, event: str, ids: dict[str, Any]) -> list[Message]:
    """Everyone to tell about this event; empty for events nobody hears about."""
    spec = CATALOGUE.get(event)
    if spec is None:
        return []
    try:
        return list(spec.build(session, ids))
    except UnknownObject:
        return []
